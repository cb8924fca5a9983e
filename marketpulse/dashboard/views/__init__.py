"""The five views; each exposes `TITLE`, `CAPTION` and `render(context)`."""
