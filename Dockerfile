FROM python:3.12-slim
RUN useradd --create-home --uid 10001 sskdt
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY locales ./locales
# Editable: the catalogs in /app/locales stay beside the code that reads them.
RUN pip install --no-cache-dir -e . && mkdir -p /data && chown sskdt /data
USER sskdt
ENV SSKDT_DATA_DIR=/data SSKDT_HOST=0.0.0.0
EXPOSE 8080
CMD ["sskdt", "run"]
