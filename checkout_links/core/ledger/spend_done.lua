return {'ok', now[1]}
