"""People: the customers and employees who are asked."""
