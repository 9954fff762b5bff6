"""Customer activity (purchases, renewals, cancellations) and the retention figures built on it."""
