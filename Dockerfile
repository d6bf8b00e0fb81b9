# Image for web, worker and beat (docker-compose.yml). Python 3.12, dependencies from uv.lock.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH DJANGO_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgresql://build/build REDIS_URL=redis://build EMAIL_URL=smtp://build \
    python manage.py collectstatic --no-input -v 0 && \
    SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=postgresql://build/build REDIS_URL=redis://build EMAIL_URL=smtp://build \
    python manage.py compilemessages -v 0
USER nobody
EXPOSE 8000
CMD ["gunicorn", "ikp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
