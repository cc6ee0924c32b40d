from checkout_links import create_app
from checkout_links.web.warm import warm

app = create_app()
# Under preload_app this runs in gunicorn's master: every worker forks warm.
warm(app)
