"""Progress bars (tqdm) over files and articles; nothing is imported or drawn when they are off."""

from __future__ import annotations

from collections.abc import Iterator


def _bar(total: int, enabled: bool, desc: str, unit: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit)


def _progress(items: list, enabled: bool, desc: str, unit: str) -> Iterator:
    if not enabled:
        yield from items
        return
    bar = _bar(len(items), True, desc, unit)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()
