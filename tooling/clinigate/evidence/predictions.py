"""A predictions file (CSV or Parquet) read into typed columns, or refused naming the row and column.

pyarrow reads both formats (one reader, already a dependency of MLflow; measured against polars
in benchmarks/README.md): a million rows in about 0.2 s. Values are checked column-wise with
numpy; the first offending row is named by its 1-based number among the data rows (for a CSV,
the file line is that number plus one, the header being line 1).

A missing label or score (an empty cell, a null) drops the row and is counted; an explicit NaN,
a score outside [0, 1] or a label that is not binary refuses the file: those are upstream bugs a
reviewer must see, not rows to skip quietly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClinigateError, UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB: about 60 million rows of CSV
TRUE_LABELS = frozenset({"1", "true", "yes", "positive"})
FALSE_LABELS = frozenset({"0", "false", "no", "negative"})


class PredictionsInvalid(ClinigateError):
    """The file's content breaks a rule (exit 1): the message names the row and the column."""

    exit_code = 1


@dataclass(frozen=True)
class Grouping:
    """One subgroup column as integer codes into its sorted group names (fast masks, no strings)."""

    codes: NDArray[np.int32]
    names: tuple[str, ...]

    def values(self) -> NDArray[np.object_]:
        import numpy as np

        return np.asarray(self.names, dtype=object)[self.codes]


@dataclass
class Predictions:
    """Rows with both a label and a score; subgroup columns aligned with them."""

    source: str
    sha256: str
    rows: int  # data rows in the file
    labels: NDArray[np.bool_]
    scores: NDArray[np.float64]
    grouping: dict[str, Grouping] = field(default_factory=dict)
    missing_label: int = 0
    missing_score: int = 0

    @property
    def groups(self) -> dict[str, NDArray[np.object_]]:
        """Each subgroup column as text, row by row."""
        return {name: g.values() for name, g in self.grouping.items()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_predictions(path: Path, *, label: str, score: str, subgroups: list[str], shown: str | None = None,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> Predictions:
    """Read and check ``path``; ``shown`` is the name used in messages (default: the path)."""
    shown = shown or str(path)
    if not path.is_file():
        raise UsageError(f"{shown}: no such file", hint="pass the predictions file with --predictions")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(f"{shown} is {size:,} bytes, over the limit of {max_bytes:,} bytes; "
                         "nothing was read",
                         hint="raise it with --max-bytes if the file is really that large")
    columns = [label, score, *subgroups]
    if len(set(columns)) != len(columns):
        raise UsageError(f"the label, score and subgroup columns must differ: {', '.join(columns)}")
    table = _read_table(path, shown, columns, text_columns=tuple(subgroups))
    return _checked(table, shown, label, score, subgroups, sha256_of(path))


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}


def _column_names(path: Path, shown: str) -> list[str]:
    import pyarrow.parquet as pq

    if not _is_parquet(path):
        return _csv_header(path, shown)
    names: list[str] = pq.read_schema(path).names
    return names


def _read_table(path: Path, shown: str, columns: list[str], text_columns: tuple[str, ...] = ()) -> Any:
    """Only ``columns``; in a CSV, ``text_columns`` are read as text (group labels such as "01"
    must not become numbers), the others by their values."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    parquet = _is_parquet(path)
    try:
        names = _column_names(path, shown)
        absent = [c for c in columns if c not in names]
        if absent:
            raise UsageError(f"{shown} has no column {', '.join(repr(c) for c in absent)}; "
                             f"its columns are {', '.join(names[:20])}",
                             hint="name the columns with --label, --score and --subgroups")
        if parquet:
            return pq.read_table(path, columns=columns)
        # Only an empty cell is missing: pyarrow's default also reads "NaN" and "NA" as null, which
        # would let an explicit NaN score pass as a merely missing one.
        options = pacsv.ConvertOptions(include_columns=columns,
                                       column_types={c: pa.string() for c in text_columns},
                                       strings_can_be_null=True, null_values=[""],
                                       quoted_strings_can_be_null=True)
        return pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise PredictionsInvalid(f"{shown} is not a readable {'Parquet' if parquet else 'CSV'} file: "
                                 f"{str(exc).splitlines()[0]}") from None


def read_columns(path: Path, names: list[str]) -> dict[str, NDArray[np.float64]]:
    """The numeric columns of ``names`` that the file has, nulls and NaN left out (monitor's PSI).

    A text column is skipped: binning categories needs the category list of the plan, which the
    manifest does not carry yet.
    """
    import numpy as np
    import pyarrow as pa

    present = _column_names(path, str(path))
    wanted = [n for n in names if n in present]
    if not wanted:
        return {}
    table = _read_table(path, str(path), wanted)
    out = {}
    for name in wanted:
        column = table.column(name)
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            values = column.cast(pa.float64()).drop_null().to_numpy(zero_copy_only=False)
            out[name] = values[np.isfinite(values)]
    return out


def _csv_header(path: Path, shown: str) -> list[str]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise PredictionsInvalid(f"{shown} is empty: a CSV needs a header line naming its columns")
    return header


def _checked(table: Any, shown: str, label: str, score: str, subgroups: list[str],
             digest: str) -> Predictions:
    rows = table.num_rows
    if rows == 0:
        raise PredictionsInvalid(f"{shown} has a header but no rows")
    labels, label_missing = _labels(table.column(label), shown, label)
    scores, score_missing = _scores(table.column(score), shown, score)
    keep = ~(label_missing | score_missing)
    groups = {name: _grouping(table.column(name), shown, name, keep) for name in subgroups}
    if not keep.any():
        raise PredictionsInvalid(f"{shown}: no row has both a {label} and a {score}")
    return Predictions(shown, digest, rows, labels[keep], scores[keep], groups,
                       missing_label=int(label_missing.sum()), missing_score=int(score_missing.sum()))


def _row(index: int) -> str:
    return f"row {index + 1}"


def _labels(column: Any, shown: str, name: str) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = column.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_boolean(column.type):
        return column.fill_null(False).to_numpy(zero_copy_only=False), missing
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = column.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
        bad = ~missing & ~np.isin(values, (0.0, 1.0))
        if bad.any():
            at = int(np.argmax(bad))
            raise PredictionsInvalid(f"{shown}: {_row(at)}: column {name!r} holds {_short(values[at])}, "
                                     "not a binary label (0 or 1)")
        return values == 1.0, missing
    text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    values = text.fill_null("0").to_numpy(zero_copy_only=False)
    positive = np.isin(values, list(TRUE_LABELS))
    bad = ~missing & ~positive & ~np.isin(values, list(FALSE_LABELS))
    if bad.any():
        at = int(np.argmax(bad))
        raise PredictionsInvalid(f"{shown}: {_row(at)}: column {name!r} holds {_short(values[at])}, "
                                 "not a binary label (0/1, true/false)")
    return positive, missing


def _scores(column: Any, shown: str, name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    import numpy as np
    import pyarrow as pa

    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise PredictionsInvalid(f"{shown}: column {name!r} is {column.type}, not numbers: a score is a "
                                 "predicted probability between 0 and 1")
    missing = column.is_null().to_numpy(zero_copy_only=False)
    values = column.cast(pa.float64()).fill_null(0.5).to_numpy(zero_copy_only=False)
    for bad, what in ((np.isnan(values), "NaN"), (~np.isfinite(values) & ~np.isnan(values), "infinite"),
                      ((values < 0) | (values > 1), "out of range")):
        if bad.any():
            at = int(np.argmax(bad))
            raise PredictionsInvalid(f"{shown}: {_row(at)}: column {name!r} is {what} "
                                     f"({_short(values[at])}); a score must be a probability in [0, 1]",
                                     hint="an empty cell marks a missing score; a NaN is refused")
    return values, missing


def _grouping(column: Any, shown: str, name: str, keep: NDArray[np.bool_]) -> Grouping:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    empty = pc.or_kleene(text.is_null(), pc.equal(text, "")).to_numpy(zero_copy_only=False)
    if empty.any():
        at = int(np.argmax(empty))
        raise PredictionsInvalid(f"{shown}: {_row(at)}: column {name!r} is empty; every row needs its "
                                 "group (write 'unknown' for an unrecorded one, so it is counted)")
    encoded = text.combine_chunks().dictionary_encode()
    names = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)[keep]
    # The groups on kept rows (a group seen only on dropped rows goes), in name order; codes index them.
    used = sorted(np.unique(indices).tolist(), key=names.__getitem__)
    remap = np.full(len(names), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    return Grouping(remap[indices], tuple(names[i] for i in used))


def _short(value: object) -> str:
    plain = value.item() if hasattr(value, "item") else value
    if isinstance(plain, float) and plain.is_integer():
        plain = int(plain)  # a label read as 2.0 was written 2
    text = repr(plain)
    return text if len(text) <= 24 else text[:21] + "..."
