"""The dashboard's SQL: one module per view, each function one cached query on schema `marts`."""
