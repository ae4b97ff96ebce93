//! The built-in connectors, one folder each. They are written against `connect-api` only, as a
//! connector of one's own would be; [`Plugins::builtin`](crate::plugins::Plugins::builtin)
//! registers them.

pub mod datagen;
pub mod file;
pub mod mirror;
