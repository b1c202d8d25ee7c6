"""Active-policy pages, by audience: operators (operator.py), province staff reviewing PIPs
(review.py), Region officials managing measures, operators and networks (region.py)."""
