//! The JSON dump (`onnxc inspect --format json`), for scripts and diffing tools.
//!
//! ```json
//! {
//!   "name": "lenet",
//!   "inputs": [{"name", "dtype", "shape"}],
//!   "outputs": [{"name", "dtype", "shape", "value", "node"}],
//!   "nodes": [{"name", "op", "attributes": {…}, "inputs": ["x", null], "outputs": [{"name", "dtype", "shape"}]}],
//!   "constants": [{"name", "dtype", "shape", "bytes", "splat"}]
//! }
//! ```
//!
//! Nodes are in topological order and exclude inputs and constants (listed on their own).
//! Attributes carry every value, defaults included ([`attribute_list`]); activations are
//! labels such as `"Clip(0..6)"`. Non-finite floats are the strings `"NaN"`, `"inf"`, `"-inf"`.
//! `splat` is the repeated value of a uniform constant, or `null`.

use super::graph::{Graph, ValueInfo};
use super::op::Op;
use super::tensor::{f16_to_f32, Data, Tensor};
use super::text::{
    attribute_list, constants_in_use_order, element_strings, fmt_f32, node_name, value_info,
    value_name, walk_order, with_kernel, AttrValue,
};
use std::fmt::Write as _;

/// A JSON value; objects keep their insertion order so the output is stable.
enum Json {
    Null,
    Bool(bool),
    /// A number already in JSON syntax.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn s(text: &str) -> Json {
    Json::Str(text.to_string())
}

fn int(n: impl Into<i128>) -> Json {
    Json::Number(n.into().to_string())
}

fn float(x: f32) -> Json {
    if x.is_finite() {
        Json::Number(fmt_f32(x))
    } else {
        Json::Str(fmt_f32(x))
    }
}

fn object(fields: Vec<(&str, Json)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The whole graph as pretty-printed JSON (2-space indent, arrays of scalars on one line).
pub fn to_json(graph: &Graph) -> String {
    let (order, cycle) = walk_order(graph);
    let value = |v: &ValueInfo| {
        object(vec![
            ("name", s(&v.name)),
            ("dtype", s(v.dtype.name())),
            (
                "shape",
                Json::Array(v.shape.iter().map(|&d| int(d as u64)).collect()),
            ),
        ])
    };

    let mut input_nodes: Vec<_> = graph
        .inputs
        .iter()
        .copied()
        .filter(|&n| graph.contains(n))
        .collect();
    for &n in &order {
        if matches!(graph.node(n).op, Op::Input) && !input_nodes.contains(&n) {
            input_nodes.push(n);
        }
    }
    let inputs: Vec<Json> = input_nodes
        .iter()
        .flat_map(|&n| graph.node(n).outputs.iter())
        .map(value)
        .collect();

    let outputs: Vec<Json> = graph
        .outputs
        .iter()
        .map(|o| {
            let info = value_info(graph, o.value);
            object(vec![
                ("name", s(&o.name)),
                ("dtype", info.map_or(Json::Null, |i| s(i.dtype.name()))),
                (
                    "shape",
                    info.map_or(Json::Null, |i| {
                        Json::Array(i.shape.iter().map(|&d| int(d as u64)).collect())
                    }),
                ),
                ("value", s(&value_name(graph, o.value))),
                ("node", s(&node_name(graph, o.value.node))),
            ])
        })
        .collect();

    let mut nodes = Vec::new();
    for &n in &order {
        let node = graph.node(n);
        if matches!(node.op, Op::Input | Op::Constant(_)) {
            continue;
        }
        let attributes: Vec<(String, Json)> = attribute_list(&with_kernel(graph, n))
            .into_iter()
            .map(|a| (a.key.to_string(), attr_json(&a.value)))
            .collect();
        let args: Vec<Json> = graph
            .inputs(n)
            .iter()
            .map(|v| v.map_or(Json::Null, |v| s(&value_name(graph, v))))
            .collect();
        nodes.push(object(vec![
            ("name", s(&node_name(graph, n))),
            ("op", s(&node.op.name())),
            ("attributes", Json::Object(attributes)),
            ("inputs", Json::Array(args)),
            (
                "outputs",
                Json::Array(node.outputs.iter().map(value).collect()),
            ),
        ]));
    }

    let mut constants = Vec::new();
    for n in constants_in_use_order(graph, &order) {
        let node = graph.node(n);
        if let Op::Constant(t) = &node.op {
            let name = node
                .outputs
                .first()
                .map_or(node.name.as_str(), |v| v.name.as_str());
            constants.push(object(vec![
                ("name", s(name)),
                ("dtype", s(t.dtype().name())),
                (
                    "shape",
                    Json::Array(t.shape.iter().map(|&d| int(d as u64)).collect()),
                ),
                ("bytes", int(t.byte_len() as u64)),
                ("splat", splat(t)),
            ]));
        }
    }

    let mut fields = vec![("name", s(&graph.name))];
    if let Some(msg) = cycle {
        fields.push(("warning", s(&msg)));
    }
    fields.extend([
        ("inputs", Json::Array(inputs)),
        ("outputs", Json::Array(outputs)),
        ("nodes", Json::Array(nodes)),
        ("constants", Json::Array(constants)),
    ]);
    let mut out = String::new();
    write_json(&mut out, &object(fields), 0);
    out.push('\n');
    out
}

fn attr_json(v: &AttrValue) -> Json {
    match v {
        AttrValue::Int(i) => int(*i),
        AttrValue::Ints(v) => Json::Array(v.iter().map(|&i| int(i)).collect()),
        AttrValue::Float(x) => float(*x),
        AttrValue::Floats(v) => Json::Array(v.iter().map(|&x| float(x)).collect()),
        AttrValue::Bool(b) => Json::Bool(*b),
        AttrValue::Str(text) => s(text),
    }
}

/// The repeated value of a uniform tensor of two or more elements, else `null`.
fn splat(t: &Tensor) -> Json {
    if t.len() < 2 || !t.is_uniform() {
        return Json::Null;
    }
    // Only the first element is read: splats can be the largest tensors of a model.
    match &t.data {
        Data::F32(v) => float(v[0]),
        Data::F64(v) => float(v[0] as f32),
        Data::F16(v) => float(f16_to_f32(v[0])),
        Data::BF16(v) => float(f32::from_bits(u32::from(v[0]) << 16)),
        data => element_strings(data, 1)
            .pop()
            .map_or(Json::Null, Json::Number),
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

fn write_json(out: &mut String, v: &Json, indent: usize) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::Str(text) => write_string(out, text),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) if items.iter().all(is_scalar) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item, indent);
            }
            out.push(']');
        }
        Json::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                push_indent(out, indent + 1);
                write_json(out, item, indent + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            push_indent(out, indent);
            out.push(']');
        }
        Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
        Json::Object(fields) => {
            out.push_str("{\n");
            for (i, (key, value)) in fields.iter().enumerate() {
                push_indent(out, indent + 1);
                write_string(out, key);
                out.push_str(": ");
                write_json(out, value, indent + 1);
                out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
            }
            push_indent(out, indent);
            out.push('}');
        }
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped; other
/// characters (valid UTF-8 already) pass through.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::text::tests::tiny_graph;

    /// A strict little JSON parser for the tests: returns the parsed value or where it failed.
    struct Parser<'a> {
        bytes: &'a [u8],
        pos: usize,
    }

    #[derive(Debug, PartialEq)]
    enum Value {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Value>),
        Obj(Vec<(String, Value)>),
    }

    impl Value {
        fn get(&self, key: &str) -> &Value {
            match self {
                Value::Obj(fields) => {
                    &fields
                        .iter()
                        .find(|(k, _)| k == key)
                        .unwrap_or_else(|| panic!("no {key}"))
                        .1
                }
                _ => panic!("not an object"),
            }
        }
        fn at(&self, i: usize) -> &Value {
            match self {
                Value::Arr(items) => &items[i],
                _ => panic!("not an array"),
            }
        }
        fn len(&self) -> usize {
            match self {
                Value::Arr(items) => items.len(),
                Value::Obj(fields) => fields.len(),
                _ => 0,
            }
        }
        fn str(&self) -> &str {
            match self {
                Value::Str(s) => s,
                _ => panic!("not a string: {self:?}"),
            }
        }
    }

    impl Parser<'_> {
        fn parse(text: &str) -> Result<Value, String> {
            let mut p = Parser {
                bytes: text.as_bytes(),
                pos: 0,
            };
            let v = p.value()?;
            p.ws();
            if p.pos != p.bytes.len() {
                return Err(format!("trailing data at {}", p.pos));
            }
            Ok(v)
        }
        fn err<T>(&self, what: &str) -> Result<T, String> {
            Err(format!("{what} at byte {}", self.pos))
        }
        fn ws(&mut self) {
            while self.pos < self.bytes.len()
                && matches!(self.bytes[self.pos], b' ' | b'\n' | b'\r' | b'\t')
            {
                self.pos += 1;
            }
        }
        fn eat(&mut self, b: u8) -> bool {
            self.ws();
            if self.bytes.get(self.pos) == Some(&b) {
                self.pos += 1;
                true
            } else {
                false
            }
        }
        fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
            if self.bytes[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                Ok(v)
            } else {
                self.err("bad literal")
            }
        }
        fn value(&mut self) -> Result<Value, String> {
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b'{') => {
                    self.pos += 1;
                    let mut fields = Vec::new();
                    if self.eat(b'}') {
                        return Ok(Value::Obj(fields));
                    }
                    loop {
                        self.ws();
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return self.err("expected ':'");
                        }
                        fields.push((key, self.value()?));
                        if self.eat(b'}') {
                            return Ok(Value::Obj(fields));
                        }
                        if !self.eat(b',') {
                            return self.err("expected ',' or '}'");
                        }
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    let mut items = Vec::new();
                    if self.eat(b']') {
                        return Ok(Value::Arr(items));
                    }
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            return Ok(Value::Arr(items));
                        }
                        if !self.eat(b',') {
                            return self.err("expected ',' or ']'");
                        }
                    }
                }
                Some(b'"') => Ok(Value::Str(self.string()?)),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'n') => self.literal("null", Value::Null),
                Some(b'-' | b'0'..=b'9') => self.number(),
                _ => self.err("unexpected byte"),
            }
        }
        fn number(&mut self) -> Result<Value, String> {
            let start = self.pos;
            let digits = |p: &mut Self| {
                let s = p.pos;
                while p.bytes.get(p.pos).is_some_and(u8::is_ascii_digit) {
                    p.pos += 1;
                }
                p.pos > s
            };
            if self.bytes[self.pos] == b'-' {
                self.pos += 1;
            }
            if self.bytes.get(self.pos) == Some(&b'0') {
                self.pos += 1;
            } else if !digits(self) {
                return self.err("bad number");
            }
            if self.bytes.get(self.pos) == Some(&b'.') {
                self.pos += 1;
                if !digits(self) {
                    return self.err("bad fraction");
                }
            }
            if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
                self.pos += 1;
                if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if !digits(self) {
                    return self.err("bad exponent");
                }
            }
            let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap();
            text.parse()
                .map(Value::Num)
                .map_err(|e| format!("{e} in {text}"))
        }
        fn string(&mut self) -> Result<String, String> {
            if self.bytes.get(self.pos) != Some(&b'"') {
                return self.err("expected string");
            }
            self.pos += 1;
            let mut out = Vec::new();
            loop {
                match self.bytes.get(self.pos).copied() {
                    None => return self.err("unterminated string"),
                    Some(b'"') => {
                        self.pos += 1;
                        return String::from_utf8(out).map_err(|e| e.to_string());
                    }
                    Some(b'\\') => {
                        let c = match self.bytes.get(self.pos + 1) {
                            Some(b'"') => '"',
                            Some(b'\\') => '\\',
                            Some(b'/') => '/',
                            Some(b'n') => '\n',
                            Some(b'r') => '\r',
                            Some(b't') => '\t',
                            Some(b'b') => '\u{8}',
                            Some(b'f') => '\u{c}',
                            Some(b'u') => {
                                let hex = self
                                    .bytes
                                    .get(self.pos + 2..self.pos + 6)
                                    .ok_or("short \\u")?;
                                let code =
                                    u32::from_str_radix(std::str::from_utf8(hex).unwrap(), 16)
                                        .map_err(|e| e.to_string())?;
                                self.pos += 4;
                                char::from_u32(code).ok_or("bad \\u")?
                            }
                            _ => return self.err("bad escape"),
                        };
                        self.pos += 2;
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    Some(b) if b < 0x20 => return self.err("raw control character in string"),
                    Some(b) => {
                        out.push(b);
                        self.pos += 1;
                    }
                }
            }
        }
    }

    #[test]
    fn json_dump_parses_and_has_the_schema() {
        let json = to_json(&tiny_graph());
        println!("{json}");
        let v = Parser::parse(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
        assert_eq!(v.get("name").str(), "tiny \"net\"");
        assert_eq!(v.get("inputs").len(), 1);
        assert_eq!(
            v.get("inputs").at(0).get("shape"),
            &Value::Arr(
                vec![1.0, 1.0, 8.0, 8.0]
                    .into_iter()
                    .map(Value::Num)
                    .collect()
            )
        );
        let nodes = v.get("nodes");
        assert_eq!(nodes.len(), 4);
        let conv = nodes.at(0);
        assert_eq!(conv.get("op").str(), "Conv");
        assert_eq!(
            conv.get("attributes").get("kernel_shape"),
            &Value::Arr(vec![Value::Num(3.0), Value::Num(3.0)])
        );
        assert_eq!(conv.get("attributes").get("group"), &Value::Num(1.0));
        assert_eq!(conv.get("attributes").get("auto_pad").str(), "NOTSET");
        assert_eq!(conv.get("attributes").get("activation").str(), "Relu");
        assert_eq!(conv.get("outputs").at(0).get("dtype").str(), "f32");
        let gemm = nodes.at(3);
        assert_eq!(gemm.get("name").str(), "fc \"quoted\"\\");
        assert_eq!(gemm.get("inputs").at(2), &Value::Null);
        assert_eq!(gemm.get("attributes").get("transB"), &Value::Bool(true));
        let constants = v.get("constants");
        assert_eq!(constants.len(), 4);
        assert_eq!(constants.at(0).get("name").str(), "conv1.weight");
        assert_eq!(constants.at(0).get("bytes"), &Value::Num(72.0));
        assert_eq!(constants.at(0).get("splat"), &Value::Null);
        assert_eq!(constants.at(1).get("splat"), &Value::Num(0.0));
        assert_eq!(v.get("outputs").at(0).get("node").str(), "fc \"quoted\"\\");
        assert_eq!(json, to_json(&tiny_graph()));
        assert!(json.contains("\n  \"inputs\": [\n    {\n      \"name\": \"input\",\n"));
    }

    #[test]
    fn strings_and_non_finite_floats_stay_valid() {
        let mut g = tiny_graph();
        g.name = "ctl\u{1}\t\n\"é\\".into();
        let gemm = g
            .graph
            .node_indices()
            .find(|&n| g.node(n).op.name() == "Gemm")
            .unwrap();
        if let Op::Gemm(gm) = &mut g.node_mut(gemm).op {
            gm.alpha = f32::NAN;
            gm.beta = f32::NEG_INFINITY;
        }
        let json = to_json(&g);
        let v = Parser::parse(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
        assert_eq!(v.get("name").str(), "ctl\u{1}\t\n\"é\\");
        let attrs = v.get("nodes").at(3).get("attributes");
        assert_eq!(attrs.get("alpha").str(), "NaN");
        assert_eq!(attrs.get("beta").str(), "-inf");
        assert!(json.contains("\\u0001"));
    }

    #[test]
    fn the_validator_rejects_broken_json() {
        for bad in [
            "{",
            "[1,]",
            "{\"a\" 1}",
            "\"a\nb\"",
            "[1] x",
            "01x",
            "{\"a\":nul}",
        ] {
            assert!(Parser::parse(bad).is_err(), "{bad}");
        }
        assert!(Parser::parse(" {\"a\": [1, -2.5e3, true, null, \"\\u00e9\"]} ").is_ok());
    }
}
