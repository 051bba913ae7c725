//! The `feel` command-line tool.

fn main() {}
