//! docs/plugins.md is what `wharf docs` prints today.

#[test]
fn plugin_reference_is_up_to_date() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/plugins.md"))
            .expect("docs/plugins.md exists");
    assert!(
        committed == engine::docs::plugin_reference(&engine::plugins::Plugins::builtin()),
        "docs/plugins.md is stale: regenerate it with `wharf docs > docs/plugins.md`"
    );
}
