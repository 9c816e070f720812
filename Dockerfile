# Build a static binary (pure-Go SQLite: no cgo needed).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cxloop .

# Small final image: the binary, CA certificates and time zones, as non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cxloop /cxloop
WORKDIR /data
ENV CXLOOP_DATABASE_URL=sqlite:///data/cxloop.db \
    CXLOOP_HTTP_ADDR=:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/cxloop"]
CMD ["serve"]
