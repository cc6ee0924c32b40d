"""The customer's pages: the cart, the form, placing the order, the state pages."""
