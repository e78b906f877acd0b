"""The command line: help texts, argument errors, and a real run through the console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import build_parser, main


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ([], ["run"], ["runs"], ["logs"]):
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "usage: newsclean" in out
    sub = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    assert all(action.help for action in sub._choices_actions)


def test_help_shows_defaults_only_where_they_tell_something(capsys: pytest.CaptureFixture[str]) -> None:
    helps = {}
    for cmd in ("run", "serve"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        helps[cmd] = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for cmd, out in helps.items():
        assert "(default: None)" not in out and "(default: False)" not in out, cmd
        assert f"(default: {os.cpu_count() or 1})" in out, cmd  # --workers
        assert "(default: clean)" in out, cmd  # --out
    assert "(default: 50)" in helps["run"]  # --max-file-mb
    assert "(default: 30)" in helps["serve"] and "default: no limit" in helps["run"]  # --window-days


def test_missing_input_dir_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "is not a folder" in capsys.readouterr().err


def test_bad_batch_size_names_the_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", str(tmp_path), "--batch-size", "0"])
    err = capsys.readouterr().err
    assert "--batch-size must be >= 1, got 0" in err  # the option as typed, not the field
    assert err.startswith("usage: newsclean run ")  # the subcommand's usage line


def test_batches_are_sized_for_the_workers_unless_given() -> None:
    from cleaners.clean.batch import MAX_BATCH, MIN_BATCH, batch_size_for

    assert batch_size_for(10_000, 2) == MAX_BATCH == 1000  # 1250 for four a worker, capped
    assert batch_size_for(2_000, 2) == 250  # four batches per worker
    assert batch_size_for(2_001, 2) == 251
    assert batch_size_for(5, 2) == MIN_BATCH  # one batch: cleaned in the run's own process
    assert batch_size_for(10**7, 8) == MAX_BATCH
    assert batch_size_for(10_000, 0) == batch_size_for(10_000, 1)
    assert batch_size_for(10_000, 2, 7) == 7  # --batch-size wins
    with pytest.raises(ValueError, match="got 0"):
        batch_size_for(10, 2, 0)


def test_logs_rejects_a_non_uuid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "not-a-run"]) == 2
    assert "is not a flow run id" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_console_script_run_runs_and_logs(seeds_dir: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(seeds_dir), "--out", str(out), "--no-progress"]) == 0
    assert "5 files (5 new or changed) -> 5 documents, 5 articles" in capsys.readouterr().out
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    assert main(["runs", "--limit", "50"]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["logs", run_id]) == 0
    assert "matched 5 documents" in capsys.readouterr().out


def test_installed_console_script_help() -> None:
    exe = shutil.which("newsclean", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("newsclean console script not installed in this environment")
    res = subprocess.run([exe, "run", "--help"], capture_output=True, text=True, check=True)
    assert "INPUT_DIR" in res.stdout and "--out" in res.stdout


@pytest.mark.usefixtures("prefect_harness")
def test_ftfy_defaults_flag_straightens_quotes_only_when_asked(tmp_path: Path) -> None:
    """By default curly quotes and full-width characters are kept; --ftfy-defaults repairs as ftfy.fix_text."""
    inp = tmp_path / "in"
    inp.mkdir()
    body = ("The minister said “the talks will continue” next week, and officials from both countries "
            "agreed to deepen cooperation on trade, security and energy. Ｔｏｋｙｏ hosted the meeting.")
    (inp / "story.txt").write_text("Talks to continue\n\n" + body + "\n", encoding="utf-8")
    texts = {}
    for name, extra in (("default", []), ("ftfy", ["--ftfy-defaults"])):
        out = tmp_path / name
        assert main(["run", str(inp), "--out", str(out), "--no-progress", "--workers", "1", *extra]) == 0
        doc = json.loads((out / "documents.jsonl").read_text(encoding="utf-8").splitlines()[0])
        texts[name] = doc["text"]
    assert "“the talks will continue”" in texts["default"] and "Ｔｏｋｙｏ" in texts["default"]
    assert '"the talks will continue"' in texts["ftfy"] and "Tokyo hosted" in texts["ftfy"]


def test_output_folder_that_is_the_input_or_cannot_be_made_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out equal to INPUT_DIR would make the next run read the outputs and the state as inputs;
    an --out that cannot be created is named with the reason. Both are usage errors (exit 2),
    raised before anything is written."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A story of some words.")
    for out in (tmp_path / "in", tmp_path / "in" / "."):
        with pytest.raises(SystemExit) as exc:
            main(["run", str(tmp_path / "in"), "--out", str(out)])
        assert exc.value.code == 2 and "is INPUT_DIR itself" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tmp_path / "in"), "--out", str(tmp_path / "file" / "out")])
    assert exc.value.code == 2 and "cannot be created (Not a directory)" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["a.txt"]


def test_verify_content_is_an_option_of_run_and_serve(capsys: pytest.CaptureFixture[str]) -> None:
    """--verify-content (hash every file) is off unless asked, on run and serve, and its help
    names the limit of the size/mtime shortcut."""
    parser = build_parser()
    assert parser.parse_args(["run", "in"]).verify_content is False
    assert parser.parse_args(["run", "in", "--verify-content"]).verify_content is True
    assert parser.parse_args(["serve", "in", "--interval", "60", "--verify-content"]).verify_content is True
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "rsync -t" in " ".join(capsys.readouterr().out.split())
