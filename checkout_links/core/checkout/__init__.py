"""The customer's side of a link: the cart's state, the form's rules, placing the order."""
