"""Resuming with settings that change the model's shape is a bad request, not a failed run."""

from __future__ import annotations

from unsuplab.cli import main


def test_resume_with_a_shape_changing_setting_is_a_usage_error(capsys, trained, tmp_path):
    checkpoint = trained[1] / "checkpoint.pt"
    status = main(
        [
            "train",
            "autoencoder",
            "--resume",
            str(checkpoint),
            "--set",
            "code_size=8",
            "--steps",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    # The run was announced (the model is built only then); the error is one line after it.
    error_lines = [line for line in err.splitlines() if line.startswith("unsuplab: error: ")]
    assert len(error_lines) == 1 and "Traceback" not in err
    assert str(checkpoint) in error_lines[0] and "do not fit these settings" in error_lines[0]
    assert "size mismatch" in error_lines[0]
