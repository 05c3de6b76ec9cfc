Feature: Authentication
  Every call carries our token and a date in Paris time as parameters, and the
  signature of that date, made with our private key, in the "signature" header.
  Success answers come encrypted with a key derived from the date and our private key.

  Scenario: A correctly signed call is answered with an encrypted success
    When we call "user/list" with a correct signature
    Then the call succeeds
    And the answer was encrypted

  Scenario: A call without token is refused
    When we call "user/list" without a token
    Then the call fails with "token_missing"

  Scenario: A call with an unknown token is refused
    When we call "user/list" with the token "not-a-token-ar24-knows"
    Then the call fails with "token_invalid"

  Scenario: A call without date is refused
    When we call "user/list" without a date
    Then the call fails with "empty_date"

  Scenario Outline: A date in another format is refused
    When we call "user/list" dated "<date>"
    Then the call fails with "invalid_date"

    Examples:
      | date                |
      | 2021-05-26T14:00:00 |
      | 26/05/2021 14:00:00 |
      | 2021-05-26 14:00    |

  Scenario: A date too far in the past is refused
    When we call "user/list" dated 15 minutes ago
    Then the call fails with "expired_date"

  Scenario: A date too far in the future is refused
    When we call "user/list" dated 15 minutes from now
    Then the call fails with "date_in_future"

  Scenario: A date a few minutes old is accepted
    When we call "user/list" dated 2 minutes ago
    Then the call succeeds

  Scenario: A call without signature is refused
    When we call "user/list" without a signature
    Then the call fails with "empty_signature"

  Scenario: A call signed with another private key is refused
    When we call "user/list" signed with another private key
    Then the call fails with "invalid_signature"

  Scenario: A call carrying the signature of another date is refused
    When we call "user/list" with the signature of another date
    Then the call fails with "invalid_signature"
