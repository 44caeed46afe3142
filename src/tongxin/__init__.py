"""同心 Tongxin — urban grassroots party building and community governance."""
