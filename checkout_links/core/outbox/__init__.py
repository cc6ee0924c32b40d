"""What happens after an order: events, webhook and receipt delivery state, doorbells, circuits."""
