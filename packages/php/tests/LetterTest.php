<?php

declare(strict_types=1);

use Ar24Mock\PHPUnit\UsesAr24Mock;
use PHPUnit\Framework\TestCase;

/**
 * The Composer package, as a partner's PHPUnit suite uses it: one mock for the
 * run (the extension in phpunit.xml), a partner of its own for each test.
 */
final class LetterTest extends TestCase
{
    use UsesAr24Mock;

    private function call(string $method, string $route, array $params = []): mixed
    {
        $query = http_build_query(['token' => $this->ar24->token] + $params);
        $http = ['method' => $method, 'ignore_errors' => true];
        if ($method === 'GET') {
            $url = $this->ar24->baseUrl() . "$route?$query";
        } else {
            $url = $this->ar24->baseUrl() . $route;
            $http += ['header' => "Content-Type: application/x-www-form-urlencoded\r\n", 'content' => $query];
        }
        $answer = json_decode(file_get_contents($url, false, stream_context_create(['http' => $http])), true);
        $this->assertSame('SUCCESS', $answer['status'], json_encode($answer));
        return $answer['result'] ?? null;
    }

    public function testAUserSendsALetterAndTheRecipientIsNotified(): void
    {
        $user = $this->call('POST', 'user', [
            'firstname' => 'Jeanne', 'lastname' => 'Martin', 'email' => 'jeanne@example.fr', 'gender' => 'F',
            'statut' => 'particulier', 'address1' => '12 rue de Rivoli', 'zipcode' => '75004', 'city' => 'Paris',
            'country' => 'FR', 'confirmed' => '1',
        ]);
        $this->call('POST', 'user/request_cgu', ['id_user' => $user['id']]);
        $this->ar24->click($this->ar24->emails('jeanne@example.fr', 'cgu')[0]['link']);
        $link = $this->call('POST', 'user/payment_request', ['id_user' => $user['id'], 'get_link' => '1'])['link'];
        $this->ar24->click($link);
        $letter = $this->call('POST', 'mail', [
            'id_user' => $user['id'], 'to_email' => 'paul@example.fr', 'dest_statut' => 'particulier',
            'to_firstname' => 'Paul', 'to_lastname' => 'Durand', 'content' => 'Mise en demeure',
        ]);
        $this->assertCount(1, $this->ar24->emails('paul@example.fr', 'letter'));
        $this->assertSame('ev', $this->call('GET', 'mail', ['id' => $letter['id']])['status']);
    }

    public function testEachTestHasItsOwnPartnerSoTheSameAddressIsFreeAgain(): void
    {
        $this->assertSame([], $this->call('GET', 'user/list')['users']);
        $this->call('POST', 'user', [
            'firstname' => 'Jeanne', 'lastname' => 'Martin', 'email' => 'jeanne@example.fr', 'gender' => 'F',
            'statut' => 'particulier', 'address1' => '12 rue de Rivoli', 'zipcode' => '75004', 'city' => 'Paris',
            'country' => 'FR',
        ]);
    }

    public function testALockedMockIsDrivenWithItsControlToken(): void
    {
        $locked = \Ar24Mock\Ar24Mock::start(['auth' => 'plain', 'controlToken' => 's3cret']);
        try {
            $this->assertSame([], $locked->emails(), 'the handle sends the token');
            $refused = @file_get_contents($locked->url . '_mock/emails', false, stream_context_create(['http' => ['ignore_errors' => true]]));
            $this->assertStringContainsString('control_token_required', (string) $refused);
        } finally {
            $locked->stop();
        }
    }
}
