-- aeogate schema 3: recorded access-rights reviews. A reviewer (a manager,
-- the site's security officer) signs off that the entitlements are right;
-- each sign-off is also a review.signed event in the chain, and the
-- entitlements report names the latest one. Times are UTC ms.
CREATE TABLE reviews (
	id INTEGER PRIMARY KEY NOT NULL,
	ts_ms INTEGER NOT NULL,
	reviewer TEXT NOT NULL,
	comment TEXT NOT NULL,
	operator TEXT NOT NULL
) STRICT;
