# The Koers image used by compose.yaml: one image, one process per container.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workflows ./workflows
COPY schema ./schema
COPY messaging ./messaging
COPY workers ./workers
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["koers"]
