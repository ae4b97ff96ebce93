//! Configuration: Java properties files and config specs.

pub mod def;
pub mod properties;
pub mod providers;

pub use def::{
    Config, ConfigDef, ConfigErrors, ConfigKey, ConfigType, FieldError, Importance, Validator,
    split_list,
};
pub use properties::{Properties, PropertiesError};
