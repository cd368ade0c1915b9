"""``clinigate policy`` (``test``, ``lint``; ``crosscheck`` is registered at the end)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import FORMATS, emit, repo_option, resolve_repo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def policy() -> None:
    """Work on the Rego policies in policies/ that decide every gate.

    \b
    test        run the Rego unit tests (test_* rules in *_test.rego) on the embedded
                engine, or on real OPA with --engine opa; exit 1 when any test fails
    lint        refuse constructs on which Rego engines silently disagree (float
                thresholds, max/min/sort, semver.*, v0 rule bodies, `not` over a
                reference that may be undefined, ...); exit 1 on any
    crosscheck  evaluate a corpus of gate inputs on every available engine (embedded,
                regopy, opa) and fail on any disagreement between them

    Run lint and test after every policy edit; CI runs all of them, with the tests on
    both engines: real OPA (the same Go evaluator as `opa test`) is the authority.
    """


@policy.command("test")
@repo_option
@click.option("--engine", type=click.Choice(("embedded", "opa")), default="embedded", show_default=True,
              help="embedded: regorus, in-process. opa: real OPA (Go) in-process, the evaluator of "
                   "`opa test`; needs `pip install --ignore-requires-python 'clinigate[opa]'`.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for people (failures with file:line, then the summary line); json for tools "
                   "(every test with its outcome, location and time).")
@click.option("--coverage", is_flag=True,
              help="Also report the lines of each production module that no test evaluated.")
@click.option("--verbose", "-v", is_flag=True, help="List every test, passed and skipped ones too.")
def policy_test(repo: Path | None, engine: str, fmt: str, coverage: bool, verbose: bool) -> None:
    """Run every test_* rule of every policies/**/*_test.rego.

    Each test runs on one engine (--engine) holding the production modules, the test modules
    and policies/data; a test passes when it evaluates to true, fails when it is false or
    undefined, and errors when evaluation fails. todo_test_* rules are reported as skipped;
    a test module that does not compile is an error of that file. The last line reads
    `N passed, N failed` (then errors and skipped, if any) on either engine. On opa the tests
    of a package run as one query, so a passed test shows no time of its own.

    \b
    Exit codes: 0 all passed · 1 a test failed or errored · 3 unreadable policies/ or data,
    or the opa engine is not installed.
    """
    from ..policy.bundle import load_bundle
    from ..policy.testing import run_tests
    from ..report.policy import test_renderers

    run = run_tests(load_bundle(resolve_repo(repo)), coverage=coverage, engine=engine)
    emit(test_renderers(verbose=verbose), fmt, run)
    if fmt != "json" and not run.results:
        click.echo("warning: no test_* rules found in policies/**/*_test.rego", err=True)
    raise SystemExit(0 if run.passed else 1)


@policy.command("lint")
@repo_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people (`file:line:col: [rule] message`), json for tools, github for "
                   "workflow annotations, sarif for code scanning, junit for CI dashboards.")
def policy_lint(repo: Path | None, fmt: str) -> None:
    """Refuse the Rego constructs on which engines silently disagree.

    Checks every module and test under policies/ for: Rego v0 rule bodies and partial sets,
    float literals compared at thresholds (compare the *_e4 integers), max/min/sort,
    semver.*, object.union, string interpolation, bare `data`, time.diff/format/
    parse_rfc3339_ns, http.send, print() outside tests, and `not` over a reference that may
    be undefined (`not input.x in s`, `not f(input.x)`: OPA fails the whole rule body where
    regorus makes the `not` true, so a fail-closed deny fails open on OPA; use
    object.get(…, null)). Each finding names the rule and the safe replacement. Comments and
    string literals are ignored; test files may compare float literals, print, and negate
    anything (`policy test --engine opa` runs them on OPA too).

    \b
    Exit codes: 0 clean · 1 findings · 3 unreadable policies/ or data.
    """
    from ..policy.bundle import load_bundle
    from ..policy.lint import lint_bundle
    from ..report.policy import LINT_RENDERERS

    report = lint_bundle(load_bundle(resolve_repo(repo)))
    emit(LINT_RENDERERS, fmt, report)
    raise SystemExit(0 if report.passed else 1)


@policy.command("crosscheck")
@repo_option
@click.option("--engine", "engines", multiple=True, type=click.Choice(("embedded", "regopy", "opa")),
              help="Engines to compare (repeatable; each named one must be installed). Default: every "
                   "installed one of embedded, regopy and opa, naming those not installed.")
@click.option("--show", type=click.IntRange(0), default=5, show_default=True,
              help="How many differing inputs to print in full.")
def crosscheck(repo: Path | None, engines: tuple[str, ...], show: int) -> None:
    """Evaluate a corpus of inputs on several Rego engines and fail on any disagreement.

    The corpus is every version of the registry judged as if it were being added, plus
    variations that sit on, just below and just above every threshold (multi-digit, zero and
    negative numbers), flip every classification trigger, and leave a document out of the
    input. regorus (embedded, Rust), regopy (C++) and real OPA (opa, Go: the reference) are
    independent implementations, so a difference means a policy relies on a construct they
    disagree on; `clinigate policy lint` bans the known ones. An engine that is not installed
    is named as not run; OPA needs `pip install --ignore-requires-python 'clinigate[opa]'`.

    \b
    Exit codes: 0 the engines agree · 1 they differ · 3 fewer than two engines installed, a
    named engine not installed, or the policies do not compile.
    """
    from ..policy import crosscheck as core
    from ..policy.bundle import load_bundle
    from ..report.policy import crosscheck_renderers

    root = resolve_repo(repo)
    bundle = load_bundle(root)
    corpus = core.registry_corpus(root, bundle.data.get("clinigate", {}).get("defaults", {}))
    report = core.run(bundle, corpus, engines or None)
    emit(crosscheck_renderers(show=show), "text", report)
    raise SystemExit(0 if report.passed else 1)
