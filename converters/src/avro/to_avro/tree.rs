//! The tree of Avro types a Connect schema converts to, before it is printed: equal types are
//! one shared [`Named`], so the printer can write a named type once and refer to it by name.

use std::rc::Rc;

use crate::avro::json::Json;

/// An Avro type under construction.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Av {
    Primitive(&'static str, Props),
    Array(Box<Av>, Props),
    Map(Box<Av>, Props),
    Union(Vec<Av>),
    Named(Rc<Named>),
}

#[derive(Debug, PartialEq)]
pub(super) struct Named {
    pub(super) name: String,
    pub(super) namespace: Option<String>,
    pub(super) doc: Option<String>,
    pub(super) shape: Shape,
    pub(super) props: Props,
}

#[derive(Debug, PartialEq)]
pub(super) enum Shape {
    Record(Vec<AvField>),
    Fixed(usize),
}

#[derive(Debug, PartialEq)]
pub(super) struct AvField {
    pub(super) name: String,
    pub(super) ty: Av,
    pub(super) doc: Option<String>,
    pub(super) default: Option<Json>,
    pub(super) props: Props,
}

pub(super) type Props = Vec<(String, Json)>;

impl Av {
    pub(super) fn props_mut(&mut self) -> Option<&mut Props> {
        match self {
            Self::Primitive(_, p) | Self::Array(_, p) | Self::Map(_, p) => Some(p),
            Self::Union(_) | Self::Named(_) => None,
        }
    }

    pub(super) fn is_named(&self) -> bool {
        match self {
            Self::Named(_) => true,
            Self::Union(members) => members.iter().any(|m| matches!(m, Self::Named(_))),
            _ => false,
        }
    }
}
