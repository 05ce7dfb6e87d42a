"""Rules by concern; the packs choose which to enforce and how hard."""
