package dev.hupd.testing;

import java.net.URI;

/**
 * One request as {@link FakeHttpProxy} received it.
 *
 * @param method the HTTP method
 * @param uri the absolute-form target from the request line, e.g. {@code
 *     http://cloudformation.eu-west-1.amazonaws.com/}; null for CONNECT or a request line that does
 *     not carry an absolute http URI
 * @param targetHostPort {@code host:port} of that target, lower-cased, port 80 when omitted; null
 *     if the request line did not carry an absolute http URI
 * @param forwardedTo the loopback URI the request was forwarded to, or null if it was refused
 * @param status the status the proxy answered with
 */
public record ProxiedRequest(
    String method, URI uri, String targetHostPort, URI forwardedTo, int status) {}
