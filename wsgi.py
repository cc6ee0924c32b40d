from checkout_links import create_app

app = create_app()
