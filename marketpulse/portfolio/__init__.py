"""Portfolios: holdings import, mean-variance optimization, exports."""
