//! The built-in connectors, one folder each. They are written against `connect-api` only, as a
//! connector of one's own would be; [`Plugins::builtin`](crate::plugins::Plugins::builtin)
//! registers them.

pub mod datagen;
pub mod file;
pub mod mirror;

use connect_api::config::Properties;

/// `max_tasks` (at least one) copies of `props`, each told its index and the count under
/// `index_key` / `count_key`: for connectors whose tasks split the work among themselves.
fn indexed_task_configs(
    props: &Properties,
    max_tasks: usize,
    index_key: &str,
    count_key: &str,
) -> Vec<Properties> {
    let tasks = max_tasks.max(1);
    (0..tasks)
        .map(|i| {
            let mut p = props.clone();
            p.insert(index_key.to_owned(), i.to_string());
            p.insert(count_key.to_owned(), tasks.to_string());
            p
        })
        .collect()
}
