"""`taskql <command> --help` says what the command does, what each option means and its default."""

from __future__ import annotations

import re

import pytest

from server.cli import main

# Per command: fragments its --help must show (its description, each option's meaning, defaults).
EXPECTED = {
    "serve": [
        "Serve the GraphQL API",
        r"--host HOST\s+\S.*TASKQL_SERVER__HOST",
        r"--port PORT\s+\S.*TASKQL_SERVER__PORT",
        r"--workers WORKERS\s+\S.*TASKQL_SERVER__WORKERS",
    ],
    "migrate": ["Apply the committed migrations", "database.url"],
    "make-migrations": ["Write the next migration", r"name\s+\S.*file name"],
    "export-schema": [
        "Write the GraphQL schema",
        r"--output OUTPUT\s+\S.*default: .*schema\.graphql",
    ],
    "check-config": ["Print the effective settings", "redacted"],
    "operations build": [
        "Validate every operations/",
        r"--directory DIRECTORY\s+\S.*default: .*operations",
    ],
    "schema diff": [
        "Compare the code's schema",
        "schema/BREAKING.md",
        r"--against REF\s+\S",
        r"--repository REPOSITORY\s+\S.*default: ",
    ],
    "create-admin": [
        "Create an admin",
        "TASKQL_ADMIN_PASSWORD",
        r"--email EMAIL\s+\S",
        r"--display-name DISPLAY_NAME\s+\S.*default: Administrator",
    ],
}


@pytest.mark.parametrize("command", EXPECTED)
def test_each_command_help_describes_it_and_its_options(command, capsys):
    """Every command's help has a description, and every option a help text and its default."""
    with pytest.raises(SystemExit) as exit_status:
        main([*command.split(), "--help"])
    assert exit_status.value.code == 0
    # argparse wraps long option names onto the next line; join those back for matching.
    text = re.sub(r"\n\s{10,}", " ", capsys.readouterr().out)
    for fragment in EXPECTED[command]:
        assert re.search(fragment, text), f"{fragment!r} missing from:\n{text}"
