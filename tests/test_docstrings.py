"""Every docstring example of every module of the package runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import gdtutorial

SKIPPED_PREFIXES = ("gdtutorial.sphinxext", "gdtutorial.benchmark.__main__", "gdtutorial.__main__")


def _modules() -> list[str]:
    names = [gdtutorial.__name__]
    for info in pkgutil.walk_packages(gdtutorial.__path__, prefix="gdtutorial."):
        if not info.name.startswith(SKIPPED_PREFIXES):
            names.append(info.name)
    return sorted(names)


MODULES = _modules()


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


def test_the_sweep_finds_the_modules_and_enough_examples() -> None:
    assert {"gdtutorial.linear", "gdtutorial.inverse", "gdtutorial.svd"} <= set(MODULES)
    total = sum(
        len(test.examples) for name in MODULES for test in _examples(importlib.import_module(name))
    )
    assert total >= 10, f"only {total} docstring examples found"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(module):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name}"
