//! A strict parser for the Python literals numpy writes in a `.npy` header: a dict of strings,
//! booleans, integers and tuples (`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`).
//!
//! Whitespace, trailing commas and numpy's space padding are tolerated; anything else that is
//! not a literal is an error. Nesting is bounded so that hostile headers cannot exhaust the stack.

use super::error::{FoundInHeader, LiteralError};
use super::limits::MAX_DEPTH;

/// One parsed literal.
#[derive(Debug)]
pub(super) enum Literal<'a> {
    /// A quoted string, without its quotes.
    Str(&'a str),
    /// `True` or `False`.
    Bool(bool),
    /// `None`.
    None,
    /// An integer: optional sign and decimal digits (a Python 2 `L` suffix removed).
    Int(&'a str),
    /// A tuple (`(3,)`, `()`, `(3, 4)`).
    Tuple(Vec<Spanned<'a>>),
    /// A list (its items are parsed but never needed).
    List,
    /// A dict, its pairs in the order written.
    Dict(Vec<(Spanned<'a>, Spanned<'a>)>),
}

/// A literal together with the text it was parsed from (for error messages).
#[derive(Debug)]
pub(super) struct Spanned<'a> {
    /// The value.
    pub value: Literal<'a>,
    /// Its source text.
    pub text: &'a str,
}

/// Parses `text` as one dict literal followed only by whitespace.
pub(super) fn parse_dict(text: &str) -> Result<Vec<(Spanned<'_>, Spanned<'_>)>, LiteralError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_space();
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.pos != text.len() {
        return Err(LiteralError::Trailing(parser.found()));
    }
    match value.value {
        Literal::Dict(pairs) => Ok(pairs),
        _ => Err(LiteralError::NotADict(shorten(value.text))),
    }
}

/// `text` cut to a length fit for an error message.
pub(super) fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn found(&self) -> FoundInHeader {
        match self.text[self.pos..].chars().next() {
            Some(character) => FoundInHeader::Char {
                character,
                offset: self.pos,
            },
            None => FoundInHeader::End,
        }
    }

    /// Neither a comma nor `close` after an item of a tuple, list or dict.
    fn expected_separator(&self, close: u8) -> LiteralError {
        LiteralError::ExpectedSeparator {
            close: char::from(close),
            found: self.found(),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Spanned<'a>, LiteralError> {
        let start = self.pos;
        let value = match self.peek() {
            Some(quote @ (b'\'' | b'"')) => self.string(quote)?,
            Some(b'-' | b'+' | b'0'..=b'9') => self.int()?,
            Some(b'(') => self.sequence(b')', depth).map(|(items, tuple)| {
                if tuple {
                    Literal::Tuple(items)
                } else {
                    // `(x)` is a parenthesised x, not a tuple, as in Python.
                    items.into_iter().next().map_or(Literal::None, |s| s.value)
                }
            })?,
            Some(b'[') => self.sequence(b']', depth).map(|_| Literal::List)?,
            Some(b'{') => self.dict(depth)?,
            Some(b'A'..=b'Z' | b'a'..=b'z') => self.word()?,
            _ => return Err(LiteralError::ExpectedValue(self.found())),
        };
        Ok(Spanned {
            value,
            text: &self.text[start..self.pos],
        })
    }

    fn string(&mut self, quote: u8) -> Result<Literal<'a>, LiteralError> {
        let start = self.pos + 1;
        let bytes = self.text.as_bytes();
        let mut end = start;
        while end < bytes.len() && bytes[end] != quote {
            if bytes[end] == b'\\' || bytes[end] == b'\n' {
                return Err(LiteralError::Escape(end));
            }
            end += 1;
        }
        if end == bytes.len() {
            return Err(LiteralError::UnterminatedString(self.pos));
        }
        self.pos = end + 1;
        Ok(Literal::Str(&self.text[start..end]))
    }

    fn int(&mut self) -> Result<Literal<'a>, LiteralError> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let digits = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(LiteralError::ExpectedDigits(self.pos));
        }
        let number = &self.text[start..self.pos];
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        Ok(Literal::Int(number))
    }

    fn word(&mut self) -> Result<Literal<'a>, LiteralError> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        match &self.text[start..self.pos] {
            "True" => Ok(Literal::Bool(true)),
            "False" => Ok(Literal::Bool(false)),
            "None" => Ok(Literal::None),
            other => Err(LiteralError::Name {
                name: shorten(other),
                offset: start,
            }),
        }
    }

    fn open(&mut self, depth: usize) -> Result<(), LiteralError> {
        if depth >= MAX_DEPTH {
            return Err(LiteralError::TooDeep(self.pos));
        }
        self.pos += 1;
        self.skip_space();
        Ok(())
    }

    /// Items up to `close`; the flag says whether a comma was seen (a tuple rather than a
    /// parenthesised value).
    fn sequence(
        &mut self,
        close: u8,
        depth: usize,
    ) -> Result<(Vec<Spanned<'a>>, bool), LiteralError> {
        self.open(depth)?;
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                let tuple = comma || items.is_empty();
                return Ok((items, tuple));
            }
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => {
                    comma = true;
                    self.pos += 1;
                    self.skip_space();
                }
                Some(c) if c == close => {}
                _ => return Err(self.expected_separator(close)),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal<'a>, LiteralError> {
        self.open(depth)?;
        let mut pairs = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Literal::Dict(pairs));
            }
            let key = self.value(depth + 1)?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(LiteralError::ExpectedColon(self.found()));
            }
            self.pos += 1;
            self.skip_space();
            let value = self.value(depth + 1)?;
            pairs.push((key, value));
            self.skip_space();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_space();
                }
                Some(b'}') => {}
                _ => return Err(self.expected_separator(b'}')),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        parse_dict(text)
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{}={}", k.text, v.text))
            .collect()
    }

    #[test]
    fn numpy_headers_with_padding_and_trailing_commas_parse() {
        assert_eq!(
            keys("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }          \n"),
            ["'descr'='<f8'", "'fortran_order'=False", "'shape'=(3, 4)"]
        );
        assert_eq!(keys("{\"shape\":(3L,),}"), ["\"shape\"=(3L,)"]);
    }

    #[test]
    fn parenthesised_values_are_not_tuples() {
        let pairs = parse_dict("{'shape': (3)}").unwrap();
        assert!(matches!(pairs[0].1.value, Literal::Int("3")));
        let pairs = parse_dict("{'shape': ()}").unwrap();
        assert!(matches!(&pairs[0].1.value, Literal::Tuple(items) if items.is_empty()));
    }

    #[test]
    fn garbage_and_deep_nesting_are_errors_not_crashes() {
        for bad in [
            "",
            "{",
            "{'a' 1}",
            "{'a': 1} x",
            "[1, 2]",
            "{'a': __import__}",
            "{'a': '\\x41'}",
            "{'a': -}",
            "{'a': (1 2)}",
        ] {
            assert!(parse_dict(bad).is_err(), "{bad:?} parsed");
        }
        let deep = format!("{{'a': {}{}}}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_dict(&deep)
            .unwrap_err()
            .to_string()
            .contains("nested deeper"));
    }
}
