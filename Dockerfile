# Rucket container image: `docker build -t rucket .` then
#   docker run -p 9000:9000 -v rucket-data:/data -e RUCKET_ROOT_USER=... -e RUCKET_ROOT_PASSWORD=... rucket
# Slim Python base, a non-root user, the data directory as a volume, a HEALTHCHECK on the
# MinIO-compatible liveness path, and Debian's etcd-server 3.4 for cluster mode (DESIGN.md §7).

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends etcd-server \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin rucket \
 && mkdir -p /data && chown rucket:rucket /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels

ENV RUCKET_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 9000
USER rucket
WORKDIR /data
# The probe speaks HTTPS when TLS is configured through RUCKET_TLS_CERT (use the variables, not the flags, here);
# it checks liveness of the local process, so the certificate is not verified.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, ssl, urllib.request as u; s = 'https' if os.environ.get('RUCKET_TLS_CERT') else 'http'; u.urlopen(s + '://127.0.0.1:9000/minio/health/live', timeout=4, context=ssl._create_unverified_context())"]
ENTRYPOINT ["rucket"]
CMD ["serve", "--address", "0.0.0.0:9000", "--data-dir", "/data"]
