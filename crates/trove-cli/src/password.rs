//! Reading a password: from the terminal without echo (asked twice), or from standard input.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The password, from the first line of standard input (`from_stdin`) or typed at the
/// terminal. The terminal's echo is switched off with `stty` while it is typed.
pub fn read(from_stdin: bool) -> Result<String> {
    if from_stdin {
        return first_line().context("reading the password from standard input");
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal: pass --password-stdin to read the password from it"
        );
    }
    let first = prompt("New password: ")?;
    let second = prompt("The same password again: ")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn first_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn prompt(text: &str) -> Result<String> {
    eprint!("{text}");
    std::io::stderr().flush()?;
    let echo = |on: bool| {
        Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(Stdio::inherit())
            .status()
    };
    let hidden = echo(false).is_ok_and(|status| status.success());
    if !hidden {
        bail!("cannot switch off the terminal's echo (no stty): use --password-stdin");
    }
    let line = first_line();
    // Echo back on whatever happened, and end the line the user's Enter did not show.
    let _ = echo(true);
    eprintln!();
    line
}
