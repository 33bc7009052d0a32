#!/usr/bin/env python3
"""Turn the man page swift-argument-parser's generate-manual writes into one that reads well (run by `make man`).

    python3 scripts/man-postprocess.py MANPAGE BINARY

The generator copies help discussions into the page as they are: blank lines (mdoc warns "Empty input line"),
examples that groff then fills, hyphenates and reflows, an EXIT STATUS that is only `.Ex -std` ("0 on success,
>0 if an error occurs"), and none of the sections a man page has beyond the options. This rewrites MANPAGE in
place:

- a blank line in running text becomes `.Pp`; an indented block (examples, lists) becomes a literal display
  (`.Bd -literal`), with `-` written `\\-` so that it renders and copies as the ASCII hyphen-minus;
- in running text too, `-` is written `\\-`, so option names are neither hyphenated nor turned into U+2010;
- the root's "EXAMPLES ...:" block becomes the EXAMPLES section, and its "EXIT STATUS:" block the EXIT STATUS
  section, a list with every code;
- each subcommand's options are headed by their help group (`BINARY <subcommand> --experimental-dump-help`
  gives each option's group), the same groups `--help` shows;
- man/framededupe.sections.mdoc (hand-written mdoc: OUTPUT, ENVIRONMENT, FILES, PROGRESS EVENTS, SEE ALSO) is
  inserted in the conventional order.

Tests render the result with groff and check that it has no warnings (ManualTests).
"""
import json
import os
import re
import subprocess
import sys


def escape_text(line):
    """Running text or a literal line: `-` as `\\-`; a line starting with `.` or `'` protected by `\\&`."""
    line = re.sub(r"(?<!\\)-", r"\\-", line)
    if line.startswith(".") or line.startswith("'"):
        line = "\\&" + line
    return line


def literal(lines):
    indent = min(len(l) - len(l.lstrip(" ")) for l in lines if l.strip())
    out = [".Bd -literal -offset indent"]
    out += [escape_text(l[indent:]) if l.strip() else "" for l in lines]
    out.append(".Ed")
    return [l for l in out if l != ""]


def discussion(lines):
    """Running text lines of a discussion (no macros) into mdoc: paragraphs and literal displays."""
    out, block = [], []

    def flush():
        if block:
            out.extend(literal(block))
            block.clear()

    for line in lines:
        if line.startswith("  ") or line.startswith("\\&  "):
            block.append(line[2:] if line.startswith("\\&") else line)
            continue
        flush()
        if line.strip() == "":
            if out and out[-1] != ".Pp":
                out.append(".Pp")
            continue
        body = line[2:] if line.startswith("\\&") else line
        out.append(escape_text(body))
    flush()
    while out and out[-1] == ".Pp":
        out.pop()
    return out


def split_blocks(lines):
    """Paragraphs of the root discussion: lists of lines separated by blank lines."""
    blocks, cur = [], []
    for line in lines:
        if line.strip() == "":
            if cur:
                blocks.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append(cur)
    return blocks


def exit_status(block):
    items, current = [], None
    for line in block[1:]:
        m = re.match(r"^\s{2}(\d+)\s{2,}(.*)$", line)
        if m:
            current = [m.group(1), m.group(2)]
            items.append(current)
        elif current:
            current[1] += " " + line.strip()
    out = [".Sh EXIT STATUS", ".Bl -tag -width Ds -compact"]
    for code, text in items:
        out += [".It " + code, escape_text(text)]
    return out + [".El"]


def groups(binary):
    """{command path: {option name: group title}} from the binary's dump of its help."""
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)
    result = {}

    def walk(command, path):
        titles = {}
        for argument in command.get("arguments", []):
            for name in argument.get("names", []):
                titles[("--" if name["kind"] == "long" else "-") + name["name"]] = argument.get("sectionTitle") or ""
        result[tuple(path)] = titles
        for sub in command.get("subcommands", []):
            walk(sub, path + [sub["commandName"]])

    walk(dump["command"], [])
    return result


def main():
    page, binary = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    sections = open(os.path.join(here, "..", "man", "framededupe.sections.mdoc"), encoding="utf-8").read()
    sections = {m.group(1): m.group(0).rstrip("\n").split("\n")
                for m in re.finditer(r"^\.Sh \"?([A-Z ]+?)\"?\n(?:(?!\.Sh ).*\n?)*", sections, re.M)}
    titles = groups(binary)
    lines = open(page, encoding="utf-8").read().rstrip("\n").split("\n")

    # The root's description: paragraphs, the examples and the exit status taken out into their sections.
    start = lines.index(".Sh DESCRIPTION") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(".Bl"))
    description, examples, status = [], [], []
    for block in split_blocks(lines[start:end]):
        head = block[0].lstrip("\\&")
        if head.startswith("EXAMPLES"):
            examples = [".Sh EXAMPLES", escape_text(re.sub(r"^EXAMPLES\s*\((.*)\):$", r"\1", head).capitalize() + ":")
                        if head != "EXAMPLES:" else ""] + literal(block[1:])
            examples = [l for l in examples if l]
        elif head.startswith("EXIT STATUS"):
            status = exit_status(block)
        else:
            description += discussion(block) + [".Pp"]
    description = description[:-1] + [".Pp", "The subcommands and their options, by the groups of their help:"]

    # The option lists: discussions of subcommands into mdoc, options headed by their group.
    out, lists, pending, text = [], [], None, []
    previous_title = {}

    def flush_text():
        if text:
            out.extend(discussion(text))
            text.clear()

    for line in lines[end:]:
        if not line.startswith(".") or line.startswith("\\&"):
            text.append(line)
            continue
        flush_text()
        if line.startswith(".Bl"):
            owner = pending if pending is not None else (lists[-1] if lists else ())
            lists.append(owner)
            pending = None
        elif line.startswith(".El"):
            lists.pop()
        elif line.startswith(".It Em "):
            pending = (lists[-1] if lists else ()) + (line[len(".It Em "):].strip(),)
        elif line.startswith(".It Fl ") and lists:
            owner = lists[-1]
            name = re.match(r"\.It Fl (-?[\w-]+)", line).group(1)
            name = "-" + name if not name.startswith("--") else name
            long = re.search(r" , -(-[\w-]+)", line)
            title = titles.get(owner, {}).get("-" + long.group(1) if long else name, "")
            if title and previous_title.get(owner) != title:
                out.append(".It Sy " + '"' + title.upper() + '"')
            previous_title[owner] = title
        if line == ".Pp" and out and out[-1] == ".Pp":
            continue
        out.append(line)
    flush_text()
    body = out

    # Sections, in the usual order; AUTHORS and the generator's EXIT STATUS replaced.
    tail_at = next(i for i, l in enumerate(body) if l.startswith(".Sh"))
    options, tail = body[:tail_at], body[tail_at:]
    authors = tail[tail.index(".Sh AUTHORS"):]
    header = lines[:start]
    # No hyphenation: option names and paths in running text stay whole, so they can be read and copied. groff's
    # mdoc turns it back on at every paragraph from this register (other formatters ignore it).
    header.insert(header.index(".Os") + 1, ".nr doc-hyphen-flags 0")
    header[0] = '.\\" Generated by swift-argument-parser\'s generate-manual and scripts/man-postprocess.py (make man): do not edit.'
    result = (header + description + options
              + sections.get("OUTPUT", []) + sections.get("PROGRESS EVENTS", []) + sections.get("ENVIRONMENT", [])
              + sections.get("FILES", []) + status + examples + sections.get("SEE ALSO", []) + authors)
    open(page, "w", encoding="utf-8").write("\n".join(result) + "\n")


if __name__ == "__main__":
    main()
