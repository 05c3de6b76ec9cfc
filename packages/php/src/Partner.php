<?php

declare(strict_types=1);

namespace Ar24Mock;

/** One partner of a running mock: its credentials, its outbox, its reset. */
class Partner
{
    /** @param string $url the mock's root, ending in `/` */
    public function __construct(
        public readonly string $url,
        public readonly string $token,
        public readonly string $privateKey,
        protected readonly ?string $controlToken = null,
    ) {
    }

    /** The AR24 API base, `http://127.0.0.1:PORT/api/`: what replaces `https://sandbox.ar24.fr/api/`. */
    public function baseUrl(): string
    {
        return $this->url . 'api/';
    }

    /** This partner's emails, oldest first, filtered by recipient and kind. */
    public function emails(?string $to = null, ?string $kind = null): array
    {
        $mine = fn (array $email): bool => $email['partner'] === $this->token;
        return array_values(array_filter($this->allEmails($to, $kind), $mine));
    }

    /** What a person does with an email's button: follows its link. */
    public function click(string $link): array
    {
        return self::http('POST', $link, null, null);
    }

    /** Forgets what this partner made (with a seed: back to its part of it). */
    public function reset(): void
    {
        $this->control('POST', 'partners/' . rawurlencode($this->token) . '/reset');
    }

    protected function allEmails(?string $to, ?string $kind): array
    {
        $query = http_build_query(array_filter(['to' => $to, 'kind' => $kind]));
        return $this->control('GET', 'emails' . ($query === '' ? '' : '?' . $query));
    }

    /** A call to the control plane (`/_mock/`), answered as decoded JSON. */
    protected function control(string $method, string $route, ?array $body = null): mixed
    {
        return self::http($method, $this->url . '_mock/' . $route, $body, $this->controlToken);
    }

    protected static function http(string $method, string $url, ?array $body, ?string $controlToken): mixed
    {
        $headers = "Accept: application/json\r\n";
        if ($body !== null) {
            $headers .= "Content-Type: application/json\r\n";
        }
        if ($controlToken !== null) {
            $headers .= "Authorization: Bearer $controlToken\r\n";
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => $headers,
            // An empty settings array is the empty JSON object.
            'content' => $body === null ? '' : json_encode($body === [] ? new \stdClass() : $body),
            'ignore_errors' => true,
            'timeout' => 30,
        ]]);
        $answer = @file_get_contents($url, false, $context);
        if ($answer === false) {
            throw new \RuntimeException("$method $url: no answer");
        }
        $status = (int) explode(' ', $http_response_header[0] ?? 'HTTP/1.1 0')[1];
        if ($status >= 400) {
            throw new \RuntimeException("$method $url: HTTP $status $answer");
        }
        return $answer === '' ? null : json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
    }
}
