"""Branch vitality and star rating (党支部活力提升, 星级评定): indicators, weights, ratings."""
