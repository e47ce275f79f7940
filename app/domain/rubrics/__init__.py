"""The rubric library's file format: model, cross-field checks, parsing, canonical content."""
