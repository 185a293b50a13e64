//! Rust identifiers from model names: readable, unique, never keywords.

use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for",
    "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "arena", "weights", "rt",
    "kernels", "core", "std",
];

/// A snake_case identifier for a model name (`/layer1/Relu_output_0` → `layer1_relu_output_0`).
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let trimmed = out.trim_matches('_').to_string();
    let mut id = if trimmed.is_empty() { "value".to_string() } else { trimmed };
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert_str(0, "v_");
    }
    if KEYWORDS.contains(&id.as_str()) {
        id.push('_');
    }
    id
}

/// A SCREAMING_SNAKE_CASE identifier for a model name.
pub fn screaming(name: &str) -> String {
    snake(name).trim_end_matches('_').to_ascii_uppercase()
}

/// Hands out unique identifiers derived from names.
#[derive(Default)]
pub struct Namer {
    taken: BTreeSet<String>,
}

impl Namer {
    /// A namer that never hands out `taken` (identifiers already in scope).
    pub fn avoiding<'a>(taken: impl IntoIterator<Item = &'a str>) -> Namer {
        Namer { taken: taken.into_iter().map(str::to_string).collect() }
    }

    /// A fresh snake_case identifier for `name`.
    pub fn fresh(&mut self, name: &str) -> String {
        let base = snake(name);
        let mut id = base.clone();
        let mut i = 1;
        while !self.taken.insert(id.clone()) {
            i += 1;
            id = format!("{base}_{i}");
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_become_identifiers() {
        assert_eq!(snake("/layer1/Relu_output_0"), "layer1_relu_output_0");
        assert_eq!(snake("conv1.weight"), "conv1_weight");
        assert_eq!(snake("0"), "v_0");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("::"), "value");
        assert_eq!(snake("inputTensor"), "input_tensor");
        assert_eq!(screaming("conv1.weight"), "CONV1_WEIGHT");
    }

    #[test]
    fn namer_makes_names_unique() {
        let mut n = Namer::default();
        assert_eq!(n.fresh("x"), "x");
        assert_eq!(n.fresh("x"), "x_2");
        assert_eq!(n.fresh("X"), "x_3");
    }
}
