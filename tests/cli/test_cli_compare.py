"""`unsuplab compare`: variants trained in turns, one metrics.csv with a variant column, a
checkpoint per variant, the comparison's pictures, a final line per variant; bad input exits 2."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from unsuplab.cli import main
from unsuplab.core.checkpoint import load_run
from unsuplab.core.compare import SEPARATOR


@pytest.fixture(scope="module")
def compared(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "run"
    result = cli(
        "compare",
        "denoising-autoencoder",
        "--vary",
        "corruption_level=0,0.5",
        "--steps",
        "20",
        "--set",
        "batch_size=32",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    return result, out


def test_compare_writes_one_csv_a_checkpoint_per_variant_and_the_pictures(compared):
    result, out = compared
    names = {p.name for p in out.iterdir()}
    assert {
        "config.json",
        "metrics.csv",
        "checkpoint-corruption_level-0.pt",
        "checkpoint-corruption_level-0.5.pt",
        "comparison.pt",
        "filters-corruption_level-0.png",
        "filters-corruption_level-0.5.png",
        "reconstructions.png",
    } <= names
    assert not [n for n in names if n.startswith(".")]  # no temp file left behind
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {row["variant"] for row in rows} == {"corruption_level=0", "corruption_level=0.5"}
    assert all(SEPARATOR not in key for key in rows[0])
    last = {row["variant"]: row for row in rows if row["step"] == "20" and row["heldout_loss"]}
    assert set(last) == {"corruption_level=0", "corruption_level=0.5"}
    saved = load_run(out / "checkpoint-corruption_level-0.5.pt", expected_lesson="denoising-autoencoder")
    assert saved.step == 20 and saved.config.corruption_level == 0.5
    assert saved.history.latest()["heldout_loss"] == float(last["corruption_level=0.5"]["heldout_loss"])


def test_the_final_line_holds_each_variants_held_out_figures(compared):
    result, _ = compared
    line = result.last_line
    assert line.startswith("final step=20 [corruption_level=0] heldout_loss=")
    first, second = line.split("[corruption_level=0.5]")
    assert "heldout_reconstruction=" in first and "heldout_reconstruction=" in second
    # The more is destroyed, the harder it is to paint the clean digit back.
    error = [float(part.split("heldout_reconstruction=")[1].split()[0]) for part in (first, second)]
    assert error[0] < error[1]


@pytest.mark.parametrize(
    ("vary", "words"),
    [
        (["--vary", "speed=1,2"], ["speed", "unknown setting"]),
        (["--vary", "corruption_level="], ["corruption_level", "empty value"]),
        (["--vary", "corruption_level=0,,1"], ["corruption_level", "empty value"]),
        (["--vary", "corruption_level"], ["corruption_level", "KEY=V1,V2"]),
        (["--vary", "corruption_level=0,abc"], ["corruption_level", "'abc' is not a valid float"]),
        (["--vary", "corruption_level=0,1.5"], ["corruption_level", "1.5 is above the maximum 1"]),
        (["--vary", "corruption_level=0,0.1,0.2,0.3,0.4"], ["corruption_level", "5 variants"]),
        (["--vary", "corruption_level=0.5"], ["corruption_level", "at least two"]),
        (
            ["--vary", "corruption_level=0,1", "--vary", "corruption_level=0.5,1"],
            ["corruption_level", "twice"],
        ),
        ([], ["--vary", "name a setting"]),
    ],
)
def test_bad_input_exits_2_naming_the_setting_and_writes_nothing(capsys, tmp_path, vary, words):
    out = tmp_path / "never"
    assert main(["compare", "denoising-autoencoder", *vary, "--steps", "2", "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unsuplab: error: --vary")
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not Path(out).exists()


def test_the_saved_comparison_keeps_every_variant_and_train_refuses_to_resume_it(compared, capsys):
    _, out = compared
    saved = load_run(out / "comparison.pt", expected_lesson="denoising-autoencoder")
    assert [c.corruption_level for c in saved.variants] == [0.0, 0.5]
    assert set(saved.state) == {"corruption_level=0", "corruption_level=0.5"} and saved.step == 20
    argv = ["train", "denoising-autoencoder", "--resume", str(out / "comparison.pt"), "--steps", "1"]
    assert main(argv) == 2
    assert "a comparison of 2 variants" in capsys.readouterr().err


def test_different_lessons_compare_on_their_shared_figure(cli, tmp_path):
    out = tmp_path / "run"
    argv = [
        "compare",
        "autoencoder,conv-autoencoder",
        "--steps",
        "4",
        "--set",
        "batch_size=16",
        "--out",
        str(out),
    ]
    result = cli(*argv, "--device", "cpu")
    assert result.code == 0, result.err
    names = {p.name for p in out.iterdir()}
    assert {"checkpoint-autoencoder.pt", "checkpoint-conv-autoencoder.pt", "metrics.csv"} <= names
    assert "comparison.pt" not in names
    assert (
        "[autoencoder] heldout_bce=" in result.last_line
        and "[conv-autoencoder] heldout_loss=" in result.last_line
    )


def test_different_lessons_refuse_vary_and_a_setting_none_has(capsys, tmp_path):
    out = tmp_path / "never"
    base = ["compare", "autoencoder,conv-autoencoder", "--steps", "1", "--out", str(out)]
    assert main([*base, "--vary", "code_size=2,3"]) == 2
    assert "--vary compares one lesson's settings" in capsys.readouterr().err
    assert main([*base, "--set", "sparsity_beta=1"]) == 2
    assert "sparsity_beta: none of autoencoder,conv-autoencoder has it" in capsys.readouterr().err
    assert not out.exists()
