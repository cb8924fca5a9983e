"""Render a PDF's pages with pdfium (an independent renderer) for the export tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

DPI = 100


@dataclass
class RenderedPage:
    number: int
    text: str
    pixels: np.ndarray  # height x width x 3, uint8
    images: list[
        tuple[int, int, int, int]
    ]  # embedded images as pixel boxes (left, top, right, bottom)

    def crop(self, box: tuple[int, int, int, int]) -> np.ndarray:
        left, top, right, bottom = box
        return self.pixels[top:bottom, left:right]


def render(pdf: bytes | Path, out_dir: Path | None = None) -> list[RenderedPage]:
    """Every page at DPI: its text, its RGB pixels and where its images are; PNGs to out_dir."""
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    scale = DPI / 72
    pages = []
    try:
        for index, page in enumerate(document):
            image = page.render(scale=scale).to_pil().convert("RGB")
            if out_dir is not None:
                image.save(out_dir / f"page-{index + 1}.png")
            height_points = page.get_size()[1]
            boxes = []
            for item in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]):
                left, bottom, right, top = item.get_bounds()
                boxes.append(
                    (
                        round(left * scale),
                        round((height_points - top) * scale),
                        round(right * scale),
                        round((height_points - bottom) * scale),
                    )
                )
            text = page.get_textpage().get_text_range().replace("\r\n", "\n")
            pages.append(RenderedPage(index + 1, text, np.asarray(image), boxes))
    finally:
        document.close()
    return pages


def colour_share(pixels: np.ndarray, hex_colour: str, tolerance: int = 40) -> float:
    """The share of pixels within `tolerance` (per channel) of a colour."""
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    close = np.all(np.abs(pixels.astype(int) - target) <= tolerance, axis=-1)
    return float(close.mean())
