FROM python:3.11-slim
WORKDIR /srv
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY migrations migrations
COPY static static
COPY templates templates
RUN pip install --no-cache-dir -e .
RUN pybabel -q compile -d app/locale -D messages
ENV NETPOL_DATA_DIR=/data NETPOL_HOST=0.0.0.0
EXPOSE 8000
CMD ["netpol-console", "serve"]
