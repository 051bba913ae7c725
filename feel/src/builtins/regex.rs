//! XML Schema / XPath regular expressions (XPath and XQuery Functions and
//! Operators 3.1 §5.6.1), as FEEL's `matches`, `replace` and `split` use
//! them, translated onto the `regex` crate.
//!
//! The translation is explicit rather than textual: `.` does not match `\r`
//! or `\n` (unless the `s` flag is given); `\s` is the four XML white space
//! characters, not Unicode's; `\w` is "anything but punctuation, separators
//! and other"; `\i` and `\c` are the XML name characters; `\p{IsBasicLatin}`
//! and the other Unicode blocks of XML Schema become ranges; class
//! subtraction `[a-z-[aeiou]]` becomes the crate's `--`. `$` without the `m`
//! flag matches only at the very end of the input (XPath, unlike Java, does
//! not allow a final newline before it). With the `x` flag, white space is
//! removed before anything else is read, except inside character classes.
//!
//! Back-references (`(a)\1`) have no equivalent in a finite automaton, which
//! is what the `regex` crate builds (and why its matching time is linear in
//! the input). A pattern with one is matched by `fancy-regex` instead: a
//! backtracking matcher that shares the `regex` crate's parser and automata
//! (so the two read the translated pattern alike) and runs the parts without
//! a back-reference on them. Its backtracking is capped: a match that would
//! need more steps is an error (null with a warning), not a hang. Only
//! patterns with a back-reference pay for backtracking. As XPath says, `\N`
//! takes as many digits as name a group closed before it (`\10` is group 1
//! and a `0` unless ten groups precede it), and naming a group that is not
//! closed yet is an error.
//!
//! Compiled patterns are cached, so a pattern in a decision table costs one
//! compilation, not one per row.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use regex::Regex;

/// The largest compiled program we accept (user patterns such as `a{999}{999}`
/// must fail, not exhaust memory).
const SIZE_LIMIT: usize = 1 << 21;

/// The most backtracking steps one match of a back-reference pattern may take.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// A compiled XPath pattern.
#[derive(Clone, Debug)]
pub(crate) enum Pattern {
    /// The `regex` crate's automaton: every pattern without a back-reference.
    Linear(Regex),
    /// `fancy-regex`'s backtracker, for patterns with back-references.
    Backtracking(fancy_regex::Regex),
}

/// The byte ranges of one match: the whole match first, then each group
/// (`None` for a group that took no part in it).
pub(crate) type Groups = Vec<Option<(usize, usize)>>;

fn too_complex(e: fancy_regex::Error) -> String {
    format!("the pattern could not be matched: {e}")
}

impl Pattern {
    /// Whether the pattern matches anywhere in `s`.
    pub(crate) fn is_match(&self, s: &str) -> Result<bool, String> {
        match self {
            Pattern::Linear(re) => Ok(re.is_match(s)),
            Pattern::Backtracking(re) => re.is_match(s).map_err(too_complex),
        }
    }

    /// Every non-overlapping match, left to right, with its groups.
    pub(crate) fn captures_all(&self, s: &str) -> Result<Vec<Groups>, String> {
        let mut out = Vec::new();
        match self {
            Pattern::Linear(re) => {
                for caps in re.captures_iter(s) {
                    out.push(
                        caps.iter()
                            .map(|m| m.map(|m| (m.start(), m.end())))
                            .collect(),
                    );
                }
            }
            Pattern::Backtracking(re) => {
                for caps in re.captures_iter(s) {
                    let caps = caps.map_err(too_complex)?;
                    out.push(
                        caps.iter()
                            .map(|m| m.map(|m| (m.start(), m.end())))
                            .collect(),
                    );
                }
            }
        }
        Ok(out)
    }

    /// The parts of `s` between matches, empty ones included.
    pub(crate) fn split<'s>(&self, s: &'s str) -> Result<Vec<&'s str>, String> {
        match self {
            Pattern::Linear(re) => Ok(re.split(s).collect()),
            Pattern::Backtracking(re) => re.split(s).map(|p| p.map_err(too_complex)).collect(),
        }
    }
}

/// How many compiled patterns the cache holds before it starts over.
const CACHE_CAPACITY: usize = 256;

/// Compiles an XPath regular expression with XPath flags (`s`, `m`, `i`, `x`,
/// `q`), from the cache when possible. The error says what is wrong with the
/// pattern or the flags.
pub(crate) fn compile(pattern: &str, flags: &str) -> Result<Pattern, String> {
    type Cache = Mutex<HashMap<(String, String), Pattern>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = (pattern.to_string(), flags.to_string());
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(re);
    }
    let re = build(pattern, flags)?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= CACHE_CAPACITY {
            c.clear();
        }
        c.insert(key, re.clone());
    }
    Ok(re)
}

/// Checks that `flags` holds only XPath flags, so callers can blame the
/// `flags` argument rather than the pattern.
pub(crate) fn check_flags(flags: &str) -> Result<(), String> {
    match flags.chars().find(|c| !"smixq".contains(*c)) {
        Some(other) => Err(format!("unknown flag '{other}' (allowed: s, m, i, x, q)")),
        None => Ok(()),
    }
}

fn build(pattern: &str, flags: &str) -> Result<Pattern, String> {
    check_flags(flags)?;
    let mut f = Flags::default();
    for c in flags.chars() {
        match c {
            's' => f.dot_all = true,
            'm' => f.multi_line = true,
            'i' => f.case_insensitive = true,
            'x' => f.extended = true,
            _ => f.literal = true,
        }
    }
    let mut out = String::new();
    if f.case_insensitive {
        out.push_str("(?i)");
    }
    if f.multi_line {
        out.push_str("(?m)");
    }
    let mut backrefs = false;
    if f.literal {
        out.push_str(&regex::escape(pattern));
    } else {
        let pattern = if f.extended {
            strip_white_space(pattern)
        } else {
            pattern.to_owned()
        };
        let mut t = Translator {
            chars: pattern.chars().collect(),
            pos: 0,
            flags: f,
            out: &mut out,
            groups: Vec::new(),
            closed: 0,
            backrefs: false,
        };
        t.run()?;
        backrefs = t.backrefs;
    }
    if backrefs {
        return fancy_regex::RegexBuilder::new(&out)
            .backtrack_limit(BACKTRACK_LIMIT)
            .delegate_size_limit(SIZE_LIMIT)
            .build()
            .map(Pattern::Backtracking)
            .map_err(|e| format!("invalid pattern: {e}"));
    }
    regex::RegexBuilder::new(&out)
        .size_limit(SIZE_LIMIT)
        .build()
        .map(Pattern::Linear)
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
            other => format!("invalid pattern: {other}"),
        })
}

/// The pattern without the white space the `x` flag removes: everything but
/// what stands inside a character class (XPath F&O 3.1 §5.6.2), read before
/// any other syntax, so `\ d` is `\d` and `a{1, 2}` is `a{1,2}`.
fn strip_white_space(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                // The escaped character, once its white space is gone.
                for e in chars.by_ref() {
                    if depth == 0 && matches!(e, '\t' | '\n' | '\r' | ' ') {
                        continue;
                    }
                    out.push(e);
                    break;
                }
            }
            '[' => {
                depth += 1;
                out.push(c);
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            '\t' | '\n' | '\r' | ' ' if depth == 0 => {}
            other => out.push(other),
        }
    }
    out
}

#[derive(Default, Clone, Copy)]
struct Flags {
    dot_all: bool,
    multi_line: bool,
    case_insensitive: bool,
    extended: bool,
    literal: bool,
}

struct Translator<'o> {
    chars: Vec<char>,
    pos: usize,
    flags: Flags,
    out: &'o mut String,
    /// For each open group, whether it captures.
    groups: Vec<bool>,
    /// How many capturing groups have been closed so far.
    closed: usize,
    /// Whether a back-reference was seen.
    backrefs: bool,
}

/// Writes `c` so that the `regex` crate reads it literally, in or out of a class.
fn literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

impl Translator<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn err(&self, what: &str) -> String {
        format!("invalid pattern at character {}: {what}", self.pos)
    }

    /// `\N` (the backslash and the first digit are consumed): the longest run
    /// of digits that names a capturing group closed before it.
    fn back_reference(&mut self, first: char) -> Result<String, String> {
        let mut n = first.to_digit(10).map_or(0, |d| d as usize);
        if n > self.closed {
            return Err(self.err(&format!(
                "back-reference \\{n} names a group that is not closed before it \
                 ({} closed so far)",
                self.closed
            )));
        }
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            let longer = n * 10 + d as usize;
            if longer > self.closed {
                break;
            }
            n = longer;
            self.pos += 1;
        }
        self.backrefs = true;
        // XPath: a reference to a group that took no part in the match
        // matches the empty string (F&O 3.1 §5.6.1), hence the conditional.
        // The parentheses also keep a digit that follows out of the number.
        Ok(format!("(?({n})\\{n})"))
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.next() {
            match c {
                '\\' => {
                    let esc = self.escape(false)?;
                    self.out.push_str(&esc);
                }
                '.' => self.out.push_str(if self.flags.dot_all {
                    "(?s:.)"
                } else {
                    "[^\\n\\r]"
                }),
                '[' => {
                    let class = self.class()?;
                    self.out.push_str(&class);
                }
                ']' => return Err(self.err("unbalanced ']'")),
                '(' => {
                    if self.peek() == Some('?') {
                        if self.peek_at(1) == Some(':') {
                            self.pos += 2;
                            self.out.push_str("(?:");
                            self.groups.push(false);
                        } else {
                            return Err(self.err("only (?: …) groups are allowed"));
                        }
                    } else {
                        self.out.push('(');
                        self.groups.push(true);
                    }
                }
                ')' => {
                    let Some(capturing) = self.groups.pop() else {
                        return Err(self.err("unbalanced ')'"));
                    };
                    if capturing {
                        self.closed += 1;
                    }
                    self.out.push(')');
                }
                '{' => {
                    // A quantifier: digits and at most one comma, then '}'.
                    let mut q = String::from("{");
                    loop {
                        match self.next() {
                            Some('}') => break,
                            Some(d @ ('0'..='9' | ',')) => q.push(d),
                            _ => return Err(self.err("malformed {n,m} quantifier")),
                        }
                    }
                    if q == "{" || q.starts_with("{,") || q.matches(',').count() > 1 {
                        return Err(self.err("malformed {n,m} quantifier"));
                    }
                    q.push('}');
                    self.out.push_str(&q);
                }
                '}' => return Err(self.err("unbalanced '}'")),
                '^' | '$' | '|' | '*' | '+' | '?' => self.out.push(c),
                other => literal(self.out, other),
            }
        }
        if !self.groups.is_empty() {
            return Err(self.err("unclosed '('"));
        }
        Ok(())
    }

    /// The `regex` text for the escape after a `\` (the backslash is consumed).
    /// `in_class` allows `\-` style escapes and forbids nothing else.
    fn escape(&mut self, in_class: bool) -> Result<String, String> {
        let Some(c) = self.next() else {
            return Err(self.err("the pattern ends with '\\'"));
        };
        let mut s = String::new();
        match c {
            'n' => s.push_str("\\n"),
            'r' => s.push_str("\\r"),
            't' => s.push_str("\\t"),
            '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')' | '{' | '}' | '-' | '[' | ']' | '^'
            | '$' => literal(&mut s, c),
            's' => s.push_str("[\\x20\\t\\n\\r]"),
            'S' => s.push_str("[^\\x20\\t\\n\\r]"),
            'd' => s.push_str("\\p{Nd}"),
            'D' => s.push_str("\\P{Nd}"),
            'w' => s.push_str("[^\\p{P}\\p{Z}\\p{C}]"),
            'W' => s.push_str("[\\p{P}\\p{Z}\\p{C}]"),
            'i' => s.push_str(&name_class(false, false)),
            'I' => s.push_str(&name_class(false, true)),
            'c' => s.push_str(&name_class(true, false)),
            'C' => s.push_str(&name_class(true, true)),
            'p' | 'P' => {
                if self.next() != Some('{') {
                    return Err(self.err("expected '{' after \\p"));
                }
                let mut name = String::new();
                loop {
                    match self.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => return Err(self.err("unclosed \\p{…}")),
                    }
                }
                s.push_str(&property(&name, c == 'P').ok_or_else(|| {
                    self.err(&format!("unknown category or block \\p{{{name}}}"))
                })?);
            }
            '1'..='9' if !in_class => return self.back_reference(c),
            other => return Err(self.err(&format!("unknown escape '\\{other}'"))),
        }
        Ok(s)
    }

    /// A character class; the '[' is consumed. Returns a `regex` class.
    fn class(&mut self) -> Result<String, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = String::new();
        let mut count = 0usize;
        loop {
            let Some(c) = self.next() else {
                return Err(self.err("unclosed '['"));
            };
            match c {
                ']' if count > 0 => break,
                ']' => return Err(self.err("empty character class")),
                '-' if self.peek() == Some('[') && count > 0 => {
                    self.pos += 1;
                    let sub = self.class()?;
                    if self.next() != Some(']') {
                        return Err(self.err("a class subtraction must end the class"));
                    }
                    let base = format!("[{}{items}]", if negated { "^" } else { "" });
                    return Ok(format!("[{base}--{sub}]"));
                }
                '[' => return Err(self.err("'[' must be escaped inside a class")),
                _ => {
                    let start = if c == '\\' {
                        match self.peek() {
                            Some(
                                'n' | 'r' | 't' | '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')'
                                | '{' | '}' | '-' | '[' | ']' | '^' | '$',
                            ) => {
                                let e = self.next().unwrap_or('\\');
                                Some(match e {
                                    'n' => '\n',
                                    'r' => '\r',
                                    't' => '\t',
                                    other => other,
                                })
                            }
                            _ => {
                                let esc = self.escape(true)?;
                                items.push_str(&esc);
                                None
                            }
                        }
                    } else {
                        Some(c)
                    };
                    count += 1;
                    let Some(start) = start else { continue };
                    // A range `a-z` (but not `a-[`, which is subtraction, nor
                    // a final `-`).
                    if self.peek() == Some('-')
                        && !matches!(self.peek_at(1), Some('[' | ']') | None)
                    {
                        self.pos += 1;
                        let end = match self.next() {
                            Some('\\') => match self.next() {
                                Some('n') => '\n',
                                Some('r') => '\r',
                                Some('t') => '\t',
                                Some(e) if "\\|.?*+(){}-[]^$".contains(e) => e,
                                _ => return Err(self.err("a range must end in a single character")),
                            },
                            Some(e) => e,
                            None => return Err(self.err("unclosed '['")),
                        };
                        if end < start {
                            return Err(self.err(&format!("range {start}-{end} is out of order")));
                        }
                        literal(&mut items, start);
                        items.push('-');
                        literal(&mut items, end);
                    } else {
                        literal(&mut items, start);
                    }
                }
            }
        }
        Ok(format!("[{}{items}]", if negated { "^" } else { "" }))
    }
}

/// XML 1.0 (fifth edition) NameStartChar ranges.
const NAME_START: &[(u32, u32)] = &[
    (':' as u32, ':' as u32),
    ('A' as u32, 'Z' as u32),
    ('_' as u32, '_' as u32),
    ('a' as u32, 'z' as u32),
    (0xC0, 0xD6),
    (0xD8, 0xF6),
    (0xF8, 0x2FF),
    (0x370, 0x37D),
    (0x37F, 0x1FFF),
    (0x200C, 0x200D),
    (0x2070, 0x218F),
    (0x2C00, 0x2FEF),
    (0x3001, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFFD),
    (0x10000, 0xEFFFF),
];

/// NameChar: NameStartChar plus these.
const NAME_CHAR: &[(u32, u32)] = &[
    ('-' as u32, '.' as u32),
    ('0' as u32, '9' as u32),
    (0xB7, 0xB7),
    (0x300, 0x36F),
    (0x203F, 0x2040),
];

fn ranges_class(ranges: &[(u32, u32)], negated: bool) -> String {
    let mut s = String::from(if negated { "[^" } else { "[" });
    for (a, b) in ranges {
        let _ = write!(s, "\\x{{{a:X}}}-\\x{{{b:X}}}");
    }
    s.push(']');
    s
}

/// `\i` (`with_name_chars` false) or `\c`, negated for `\I` and `\C`.
fn name_class(with_name_chars: bool, negated: bool) -> String {
    let mut ranges = NAME_START.to_vec();
    if with_name_chars {
        ranges.extend_from_slice(NAME_CHAR);
    }
    ranges_class(&ranges, negated)
}

/// `\p{name}` / `\P{name}`: a general category (`L`, `Lu`, `Nd`, …) or a
/// Unicode block of XML Schema (`IsBasicLatin`, …).
fn property(name: &str, negated: bool) -> Option<String> {
    if let Some(block) = name.strip_prefix("Is") {
        let (_, lo, hi) = BLOCKS.iter().find(|(n, _, _)| *n == block)?;
        return Some(ranges_class(&[(*lo, *hi)], negated));
    }
    const CATEGORIES: &[&str] = &[
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc",
        "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So",
        "C", "Cc", "Cf", "Co", "Cn",
    ];
    CATEGORIES
        .contains(&name)
        .then(|| format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' }))
}

/// The Unicode blocks XML Schema names (`\p{IsBasicLatin}`), with their ranges.
const BLOCKS: &[(&str, u32, u32)] = &[
    ("BasicLatin", 0x0000, 0x007F),
    ("Latin-1Supplement", 0x0080, 0x00FF),
    ("LatinExtended-A", 0x0100, 0x017F),
    ("LatinExtended-B", 0x0180, 0x024F),
    ("IPAExtensions", 0x0250, 0x02AF),
    ("SpacingModifierLetters", 0x02B0, 0x02FF),
    ("CombiningDiacriticalMarks", 0x0300, 0x036F),
    ("Greek", 0x0370, 0x03FF),
    ("GreekandCoptic", 0x0370, 0x03FF),
    ("Cyrillic", 0x0400, 0x04FF),
    ("Armenian", 0x0530, 0x058F),
    ("Hebrew", 0x0590, 0x05FF),
    ("Arabic", 0x0600, 0x06FF),
    ("Syriac", 0x0700, 0x074F),
    ("Thaana", 0x0780, 0x07BF),
    ("Devanagari", 0x0900, 0x097F),
    ("Bengali", 0x0980, 0x09FF),
    ("Gurmukhi", 0x0A00, 0x0A7F),
    ("Gujarati", 0x0A80, 0x0AFF),
    ("Oriya", 0x0B00, 0x0B7F),
    ("Tamil", 0x0B80, 0x0BFF),
    ("Telugu", 0x0C00, 0x0C7F),
    ("Kannada", 0x0C80, 0x0CFF),
    ("Malayalam", 0x0D00, 0x0D7F),
    ("Sinhala", 0x0D80, 0x0DFF),
    ("Thai", 0x0E00, 0x0E7F),
    ("Lao", 0x0E80, 0x0EFF),
    ("Tibetan", 0x0F00, 0x0FFF),
    ("Myanmar", 0x1000, 0x109F),
    ("Georgian", 0x10A0, 0x10FF),
    ("HangulJamo", 0x1100, 0x11FF),
    ("Ethiopic", 0x1200, 0x137F),
    ("Cherokee", 0x13A0, 0x13FF),
    ("UnifiedCanadianAboriginalSyllabics", 0x1400, 0x167F),
    ("Ogham", 0x1680, 0x169F),
    ("Runic", 0x16A0, 0x16FF),
    ("Khmer", 0x1780, 0x17FF),
    ("Mongolian", 0x1800, 0x18AF),
    ("LatinExtendedAdditional", 0x1E00, 0x1EFF),
    ("GreekExtended", 0x1F00, 0x1FFF),
    ("GeneralPunctuation", 0x2000, 0x206F),
    ("SuperscriptsandSubscripts", 0x2070, 0x209F),
    ("CurrencySymbols", 0x20A0, 0x20CF),
    ("CombiningMarksforSymbols", 0x20D0, 0x20FF),
    ("LetterlikeSymbols", 0x2100, 0x214F),
    ("NumberForms", 0x2150, 0x218F),
    ("Arrows", 0x2190, 0x21FF),
    ("MathematicalOperators", 0x2200, 0x22FF),
    ("MiscellaneousTechnical", 0x2300, 0x23FF),
    ("ControlPictures", 0x2400, 0x243F),
    ("OpticalCharacterRecognition", 0x2440, 0x245F),
    ("EnclosedAlphanumerics", 0x2460, 0x24FF),
    ("BoxDrawing", 0x2500, 0x257F),
    ("BlockElements", 0x2580, 0x259F),
    ("GeometricShapes", 0x25A0, 0x25FF),
    ("MiscellaneousSymbols", 0x2600, 0x26FF),
    ("Dingbats", 0x2700, 0x27BF),
    ("BraillePatterns", 0x2800, 0x28FF),
    ("CJKRadicalsSupplement", 0x2E80, 0x2EFF),
    ("KangxiRadicals", 0x2F00, 0x2FDF),
    ("IdeographicDescriptionCharacters", 0x2FF0, 0x2FFF),
    ("CJKSymbolsandPunctuation", 0x3000, 0x303F),
    ("Hiragana", 0x3040, 0x309F),
    ("Katakana", 0x30A0, 0x30FF),
    ("Bopomofo", 0x3100, 0x312F),
    ("HangulCompatibilityJamo", 0x3130, 0x318F),
    ("Kanbun", 0x3190, 0x319F),
    ("BopomofoExtended", 0x31A0, 0x31BF),
    ("EnclosedCJKLettersandMonths", 0x3200, 0x32FF),
    ("CJKCompatibility", 0x3300, 0x33FF),
    ("CJKUnifiedIdeographsExtensionA", 0x3400, 0x4DB5),
    ("CJKUnifiedIdeographs", 0x4E00, 0x9FFF),
    ("YiSyllables", 0xA000, 0xA48F),
    ("YiRadicals", 0xA490, 0xA4CF),
    ("HangulSyllables", 0xAC00, 0xD7A3),
    ("PrivateUse", 0xE000, 0xF8FF),
    ("CJKCompatibilityIdeographs", 0xF900, 0xFAFF),
    ("AlphabeticPresentationForms", 0xFB00, 0xFB4F),
    ("ArabicPresentationForms-A", 0xFB50, 0xFDFF),
    ("CombiningHalfMarks", 0xFE20, 0xFE2F),
    ("CJKCompatibilityForms", 0xFE30, 0xFE4F),
    ("SmallFormVariants", 0xFE50, 0xFE6F),
    ("ArabicPresentationForms-B", 0xFE70, 0xFEFE),
    ("Specials", 0xFFF0, 0xFFFD),
    ("HalfwidthandFullwidthForms", 0xFF00, 0xFFEF),
];

/// Expands an XPath `fn:replace` replacement for one match: `$N` is group N
/// (as many digits as name an existing group), `\$` and `\\` are literal, and
/// any other `$` or `\` is an error.
/// Appends `replacement` with its `$N` group references expanded to `out`;
/// `Ok(false)` if that stopped because `out` would pass `max_len` bytes.
pub(crate) fn expand(
    replacement: &str,
    input: &str,
    caps: &Groups,
    out: &mut String,
    max_len: usize,
) -> Result<bool, String> {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | '$')) => out.push(e),
                _ => return Err("in `replacement`, '\\' must be followed by '\\' or '$'".into()),
            },
            '$' => {
                let mut group: Option<usize> = None;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    let candidate = group.unwrap_or(0) * 10 + d as usize;
                    if group.is_some() && candidate >= caps.len() {
                        break;
                    }
                    group = Some(candidate);
                    chars.next();
                }
                let Some(g) = group else {
                    return Err("in `replacement`, '$' must be followed by a group number".into());
                };
                if let Some(Some((start, end))) = caps.get(g) {
                    if out.len().saturating_add(end - start) > max_len {
                        return Ok(false);
                    }
                    out.push_str(&input[*start..*end]);
                }
            }
            other => out.push(other),
        }
    }
    Ok(true)
}

/// The bytes the matches of [`Pattern::captures_all`] take.
pub(crate) fn groups_bytes(all: &[Groups]) -> usize {
    let group = std::mem::size_of::<Option<(usize, usize)>>();
    all.iter()
        .map(|g| std::mem::size_of::<Groups>() + g.len() * group)
        .fold(0, usize::saturating_add)
}

/// Checks a replacement string once, before any match (so that a bad
/// replacement is reported even when nothing matches).
pub(crate) fn check_replacement(replacement: &str) -> Result<(), String> {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !matches!(chars.next(), Some('\\' | '$')) => {
                return Err("in `replacement`, '\\' must be followed by '\\' or '$'".into())
            }
            '$' if !chars.peek().is_some_and(char::is_ascii_digit) => {
                return Err("in `replacement`, '$' must be followed by a group number".into())
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is(pattern: &str, flags: &str, input: &str) -> bool {
        compile(pattern, flags).unwrap().is_match(input).unwrap()
    }

    fn error(pattern: &str, flags: &str) -> String {
        compile(pattern, flags).unwrap_err()
    }

    #[test]
    fn dot_and_anchors_follow_xpath() {
        assert!(!is("^a.b$", "", "a\rb"));
        assert!(!is("^a.b$", "", "a\nb"));
        assert!(is("^a.b$", "s", "a\nb"));
        // `$` without `m` is the very end: no final newline allowed.
        assert!(!is("a$", "", "a\n"));
        assert!(is("^b$", "m", "a\nb\nc"));
        assert!(!is("^b$", "", "a\nb\nc"));
    }

    #[test]
    fn escapes_are_the_xml_ones() {
        assert!(is("^\\s$", "", "\t"));
        assert!(!is("\\s", "", "\u{a0}"));
        assert!(is("^\\w+$", "", "héllo"));
        assert!(!is("\\w", "", "!"));
        assert!(is("^\\i\\c*$", "", "_x-1.y"));
        assert!(!is("^\\i", "", "1x"));
        assert!(is("^\\p{Lu}$", "", "Ä"));
        assert!(is("^\\p{IsBasicLatin}+$", "", "abc"));
        assert!(!is("\\p{IsBasicLatin}", "", "é"));
        assert!(is("^\\P{IsGreek}$", "", "a"));
        assert!(is("^\\d$", "", "٣"));
        assert!(is("^\\$\\^$", "", "$^"));
    }

    #[test]
    fn classes_with_subtraction_and_literals() {
        assert!(is("^[a-z-[aeiou]]+$", "", "xyz"));
        assert!(!is("[a-z-[aeiou]]", "", "a"));
        assert!(is("^[^a-z-[0-9]]$", "", "A"));
        assert!(!is("^[^a-z-[0-9]]$", "", "5"));
        assert!(is("^[&&~~]+$", "", "&~"));
        assert!(is("^[a-]+$", "", "a-"));
        assert!(is("^[\\-\\]]+$", "", "-]"));
        assert!(is("^[#x]$", "", "#"));
    }

    #[test]
    fn flags() {
        assert!(is("HELLO", "i", "hello"));
        assert!(is("a b c", "x", "abc"));
        assert!(is("[ ]", "x", " "));
        assert!(is("a.b*", "q", "xa.b*"));
        assert!(!is("a.b", "q", "axb"));
        assert!(error("a", "g").contains("unknown flag 'g'"));
    }

    #[test]
    fn bad_patterns_are_errors_not_panics() {
        assert!(error("[a", "").contains("unclosed"));
        assert!(error("a)", "").contains("unbalanced"));
        assert!(error("(?=a)", "").contains("(?:"));
        assert!(error("\\p{Foo}", "").contains("\\p{Foo}"));
        assert!(error("[]", "").contains("empty"));
        assert!(error("[z-a]", "").contains("out of order"));
        assert!(error("a{2,1}", "").contains("invalid pattern"));
        assert!(error("\\q", "").contains("unknown escape"));
        assert!(error("(a{999}){999}", "").contains("too large"));
    }

    #[test]
    fn back_references_match_what_the_group_matched() {
        assert!(is("^(a)\\1$", "", "aa"));
        assert!(!is("^(a|b)\\1$", "", "ab"));
        assert!(is("^(\\w+) \\1$", "", "hello hello"));
        assert!(is("^(.)(.)\\2\\1$", "", "abba"));
        assert!(!is("^(.)(.)\\2\\1$", "", "abab"));
        // Case-insensitive back-references, as in Java (and so feel-scala).
        assert!(is("^(a)\\1$", "i", "aA"));
        // A group that took no part in the match matches nothing.
        assert!(is("^(?:(a)|b)\\1$", "", "b"));
        // Digits: as many as name a group closed before the reference.
        assert!(is("^(a)\\10$", "", "aa0"));
        let ten = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)";
        assert!(is(&format!("^{ten}\\10$"), "", "abcdefghijj"));
        assert!(is(&format!("^{ten}\\11$"), "", "abcdefghija1"));
        // With the `x` flag the reference may be spread out too.
        assert!(is("^ ( a ) \\ 1 $", "x", "aa"));
        assert!(matches!(
            compile("(a)\\1", ""),
            Ok(Pattern::Backtracking(_))
        ));
        assert!(matches!(compile("(a)b", ""), Ok(Pattern::Linear(_))));
    }

    #[test]
    fn back_references_to_open_or_missing_groups_are_errors() {
        assert!(error("\\1(a)", "").contains("not closed before it"));
        assert!(error("(a\\1)", "").contains("not closed before it"));
        assert!(error("(?:a)\\1", "").contains("0 closed so far"));
        assert!(error("[\\1]", "").contains("unknown escape"));
    }

    #[test]
    fn backtracking_is_capped_not_endless() {
        let re = compile("^(a*)*\\1b$", "").unwrap();
        let input = "a".repeat(40);
        let r = re.is_match(&input);
        assert!(matches!(r, Ok(false) | Err(_)), "{r:?}");
        if let Err(e) = r {
            assert!(e.contains("could not be matched"), "{e}");
        }
    }

    #[test]
    fn extended_flag_removes_white_space_outside_classes() {
        assert_eq!(
            strip_white_space(r"a b\n[ x ] \ d{1, 2}"),
            r"ab\n[ x ]\d{1,2}"
        );
        assert!(is(r"^\ d+ $", "x", "123"));
        assert!(is("^a{1, 2}$", "x", "aa"));
        assert!(is(r"^\p{ Is Basic Latin }+$", "x", "abc"));
        assert!(is("^[a b]+$", "x", "a b"));
        assert!(is("^[a-z-[ aeiou ]]+$", "x", "xyz"));
        assert!(!is("^[a-z-[ aeiou ]]+$", "x", "x y"));
    }

    #[test]
    fn replacement_groups() {
        let re = compile("(a)(b)?", "").unwrap();
        let all = re.captures_all("a").unwrap();
        let mut out = String::new();
        expand("[$1][$2][$0][\\$][$10]", "a", &all[0], &mut out, usize::MAX).unwrap();
        assert_eq!(out, "[a][][a][$][a0]");
        assert!(check_replacement("$x").is_err());
        assert!(check_replacement("a\\b").is_err());
        assert!(check_replacement("\\\\$1").is_ok());
    }
}
