//! Typed, checked access to a node's attributes.
//!
//! Each read checks the attribute's declared type and marks it as read; after an op is
//! converted, any attribute it did not read is reported, so an attribute that the op's opset
//! does not define (or a typo) never changes meaning silently.

use super::proto::{AttributeProto, AttributeType, GraphProto, TensorProto};
use crate::error::{Error, Result};
use std::cell::Cell;

/// The attributes of one node, with a record of which ones the converter has read.
pub(crate) struct Attrs<'a> {
    list: &'a [AttributeProto],
    read: Vec<Cell<bool>>,
}

impl<'a> Attrs<'a> {
    /// Wraps a node's attribute list; rejects duplicate names and function-only references.
    pub(crate) fn new(list: &'a [AttributeProto]) -> Result<Attrs<'a>> {
        // A set, not pairwise comparison: a hostile node may carry a hundred thousand attributes.
        let mut seen = std::collections::HashSet::with_capacity(list.len().min(64));
        for a in list {
            if a.name.is_empty() {
                return Err(Error::invalid("an attribute has no name"));
            }
            if !seen.insert(a.name.as_str()) {
                return Err(Error::invalid(format!("attribute '{}' is given twice", a.name)));
            }
            if !a.ref_attr_name.is_empty() {
                return Err(Error::invalid(format!(
                    "attribute '{}' refers to a function attribute ('{}'), which only function bodies may do",
                    a.name, a.ref_attr_name
                )));
            }
        }
        Ok(Attrs { list, read: list.iter().map(|_| Cell::new(false)).collect() })
    }

    /// The attribute called `name`, marked as read, after checking it has type `want`.
    fn get(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>> {
        let Some(index) = self.list.iter().position(|a| a.name == name) else {
            return Ok(None);
        };
        if let Some(flag) = self.read.get(index) {
            flag.set(true);
        }
        let Some(attr) = self.list.get(index) else {
            return Ok(None);
        };
        // IR version 1 files carry no type; trust the field the op asks for.
        let declared = AttributeType::try_from(attr.r#type).ok();
        match declared {
            Some(t) if t == want || t == AttributeType::Undefined => Ok(Some(attr)),
            Some(t) => {
                Err(Error::invalid(format!("attribute '{name}' must be {}, found {}", want.spec_name(), t.spec_name())))
            }
            None => Err(Error::invalid(format!("attribute '{name}' has unknown type code {}", attr.r#type))),
        }
    }

    /// True when the node has an attribute called `name` (does not mark it as read).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.list.iter().any(|a| a.name == name)
    }

    /// Marks an attribute as accepted although it does not matter for inference (e.g. a seed).
    pub(crate) fn ignore(&self, name: &str) {
        if let Some(index) = self.list.iter().position(|a| a.name == name) {
            if let Some(flag) = self.read.get(index) {
                flag.set(true);
            }
        }
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.get(name, AttributeType::Int)?.map(|a| a.i))
    }

    pub(crate) fn int_or(&self, name: &str, default: i64) -> Result<i64> {
        Ok(self.int(name)?.unwrap_or(default))
    }

    /// An int attribute that must be 0 or 1.
    pub(crate) fn bool_or(&self, name: &str, default: bool) -> Result<bool> {
        match self.int(name)? {
            None => Ok(default),
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            Some(v) => Err(Error::invalid(format!("attribute '{name}' must be 0 or 1, found {v}"))),
        }
    }

    pub(crate) fn float(&self, name: &str) -> Result<Option<f32>> {
        Ok(self.get(name, AttributeType::Float)?.map(|a| a.f))
    }

    pub(crate) fn float_or(&self, name: &str, default: f32) -> Result<f32> {
        Ok(self.float(name)?.unwrap_or(default))
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<&'a str>> {
        match self.get(name, AttributeType::String)? {
            None => Ok(None),
            Some(a) => std::str::from_utf8(&a.s)
                .map(Some)
                .map_err(|_| Error::invalid(format!("attribute '{name}' is not valid UTF-8"))),
        }
    }

    pub(crate) fn string_or(&self, name: &str, default: &'a str) -> Result<&'a str> {
        Ok(self.string(name)?.unwrap_or(default))
    }

    pub(crate) fn ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        Ok(self.get(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    pub(crate) fn floats(&self, name: &str) -> Result<Option<Vec<f32>>> {
        Ok(self.get(name, AttributeType::Floats)?.map(|a| a.floats.clone()))
    }

    pub(crate) fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>> {
        match self.get(name, AttributeType::Tensor)? {
            None => Ok(None),
            Some(a) => {
                a.t.as_deref().map(Some).ok_or_else(|| Error::invalid(format!("attribute '{name}' holds no tensor")))
            }
        }
    }

    pub(crate) fn graph(&self, name: &str) -> Result<Option<&'a GraphProto>> {
        match self.get(name, AttributeType::Graph)? {
            None => Ok(None),
            Some(a) => {
                a.g.as_deref().map(Some).ok_or_else(|| Error::invalid(format!("attribute '{name}' holds no graph")))
            }
        }
    }

    /// An `ints` attribute whose values must all be ≥ `min`, as `usize`.
    pub(crate) fn sizes(&self, name: &str, min: i64) -> Result<Option<Vec<usize>>> {
        let Some(values) = self.ints(name)? else {
            return Ok(None);
        };
        values
            .iter()
            .map(|&v| {
                if v < min {
                    return Err(Error::invalid(format!(
                        "attribute '{name}' must hold values ≥ {min}, found {values:?}"
                    )));
                }
                usize::try_from(v)
                    .map_err(|_| Error::limit(format!("attribute '{name}' value {v} does not fit in memory")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The name of the first attribute nobody read, if any.
    pub(crate) fn first_unread(&self) -> Option<&'a str> {
        self.list.iter().zip(&self.read).find(|(_, read)| !read.get()).map(|(a, _)| a.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, t: AttributeType) -> AttributeProto {
        AttributeProto { name: name.into(), r#type: t as i32, ..AttributeProto::default() }
    }

    #[test]
    fn typed_reads_check_the_declared_type() {
        let list = vec![AttributeProto { i: 3, ..attr("axis", AttributeType::Int) }];
        let attrs = Attrs::new(&list).unwrap();
        assert_eq!(attrs.int("axis").unwrap(), Some(3));
        let err = attrs.float("axis").unwrap_err();
        assert_eq!(err.message, "attribute 'axis' must be FLOAT, found INT");
        assert_eq!(attrs.int_or("missing", 7).unwrap(), 7);
    }

    #[test]
    fn unread_attributes_are_reported() {
        let list = vec![attr("axis", AttributeType::Int), attr("typo", AttributeType::Int)];
        let attrs = Attrs::new(&list).unwrap();
        attrs.int("axis").unwrap();
        assert_eq!(attrs.first_unread(), Some("typo"));
        attrs.ignore("typo");
        assert_eq!(attrs.first_unread(), None);
    }

    #[test]
    fn duplicates_and_bad_flags_are_rejected() {
        let list = vec![attr("axis", AttributeType::Int), attr("axis", AttributeType::Int)];
        assert!(Attrs::new(&list).is_err());
        let list = vec![AttributeProto { i: 2, ..attr("keepdims", AttributeType::Int) }];
        let attrs = Attrs::new(&list).unwrap();
        assert!(attrs.bool_or("keepdims", true).is_err());
        let list = vec![AttributeProto { ints: vec![1, -1], ..attr("strides", AttributeType::Ints) }];
        let attrs = Attrs::new(&list).unwrap();
        assert!(attrs.sizes("strides", 1).is_err());
    }
}
