//! Avro Java's `Schema.toString()`: compact JSON, object members in Avro's order, a named type
//! written in full the first time and by name afterwards (relative to the enclosing namespace),
//! and a different type under a name already used refused, as Avro's "Can't redefine".

use std::collections::HashMap;
use std::rc::Rc;

use super::tree::{Av, Named, Props, Shape};
use crate::error::Problem;
use crate::shared::json_text::push_string;

/// Avro Java's `Schema.toJson`: compact, named types written once and referred to by name.
#[derive(Default)]
pub(super) struct Printer {
    names: HashMap<String, Rc<Named>>,
    space: Option<String>,
}

impl Printer {
    pub(super) fn write(&mut self, av: &Av, out: &mut Vec<u8>) -> Result<(), Problem> {
        match av {
            Av::Primitive(name, props) => {
                if props.is_empty() {
                    push_string(out, name);
                } else {
                    out.extend_from_slice(b"{\"type\":");
                    push_string(out, name);
                    write_props(props, out);
                    out.push(b'}');
                }
            }
            Av::Array(items, props) => {
                out.extend_from_slice(b"{\"type\":\"array\",\"items\":");
                self.write(items, out)?;
                write_props(props, out);
                out.push(b'}');
            }
            Av::Map(values, props) => {
                out.extend_from_slice(b"{\"type\":\"map\",\"values\":");
                self.write(values, out)?;
                write_props(props, out);
                out.push(b'}');
            }
            Av::Union(members) => {
                out.push(b'[');
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write(m, out)?;
                }
                out.push(b']');
            }
            Av::Named(named) => self.named(named, out)?,
        }
        Ok(())
    }

    fn named(&mut self, named: &Rc<Named>, out: &mut Vec<u8>) -> Result<(), Problem> {
        let full = match &named.namespace {
            Some(ns) => format!("{ns}.{}", named.name),
            None => named.name.clone(),
        };
        if let Some(known) = self.names.get(&full) {
            if Rc::ptr_eq(known, named) || **known == **named {
                let qualified = if named.namespace == self.space {
                    &named.name
                } else {
                    &full
                };
                push_string(out, qualified);
                return Ok(());
            }
            return Err(Problem::InvalidSchema(format!(
                "two different Avro types would be named {full} (Avro: Can't redefine)"
            )));
        }
        self.names.insert(full, named.clone());
        let kind = match named.shape {
            Shape::Record(_) => "record",
            Shape::Fixed(_) => "fixed",
        };
        out.extend_from_slice(b"{\"type\":");
        push_string(out, kind);
        out.extend_from_slice(b",\"name\":");
        push_string(out, &named.name);
        match &named.namespace {
            Some(ns) if self.space.as_ref() != Some(ns) => {
                out.extend_from_slice(b",\"namespace\":");
                push_string(out, ns);
            }
            None if self.space.is_some() => out.extend_from_slice(b",\"namespace\":\"\""),
            _ => {}
        }
        if let Some(doc) = &named.doc {
            out.extend_from_slice(b",\"doc\":");
            push_string(out, doc);
        }
        match &named.shape {
            Shape::Fixed(size) => {
                out.extend_from_slice(b",\"size\":");
                out.extend_from_slice(size.to_string().as_bytes());
            }
            Shape::Record(fields) => {
                let saved = std::mem::replace(&mut self.space, named.namespace.clone());
                out.extend_from_slice(b",\"fields\":[");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"name\":");
                    push_string(out, &f.name);
                    out.extend_from_slice(b",\"type\":");
                    self.write(&f.ty, out)?;
                    if let Some(doc) = &f.doc {
                        out.extend_from_slice(b",\"doc\":");
                        push_string(out, doc);
                    }
                    if let Some(default) = &f.default {
                        out.extend_from_slice(b",\"default\":");
                        default.write(out, true);
                    }
                    write_props(&f.props, out);
                    out.push(b'}');
                }
                out.push(b']');
                self.space = saved;
            }
        }
        write_props(&named.props, out);
        out.push(b'}');
        Ok(())
    }
}

fn write_props(props: &Props, out: &mut Vec<u8>) {
    for (key, value) in props {
        out.push(b',');
        push_string(out, key);
        out.push(b':');
        value.write(out, false);
    }
}
