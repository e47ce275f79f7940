"""Request and response models of the JSON API (``XCreate``/``XRead`` naming)."""
