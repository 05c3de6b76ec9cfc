Feature: Partner isolation
  A partner sees only the users it created and those who accepted its access
  request. Another partner's user is unavailable; an id no account has does not exist.

  @needs_second_partner
  Scenario: Another partner's user cannot be read by id
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    When we read Dana by id
    Then the call fails with "user_unavailable"
    When we read Alice by id
    Then the answer is Alice's account

  @needs_second_partner
  Scenario: Another partner's user cannot be read by email
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    When we read Dana by email
    Then the call fails with "user_unavailable"
    When we read Alice by email
    Then the answer is Alice's account

  @needs_second_partner
  Scenario: Another partner's user is not in our list
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    Then our user list shows Alice
    And our user list does not show Dana

  @needs_second_partner
  Scenario: We cannot send the CGU to another partner's user
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    When we ask AR24 to send Alice the CGU
    Then the call succeeds
    When we ask AR24 to send Dana the CGU
    Then the call fails with "user_unavailable"
    And Dana stays unavailable to us

  @needs_second_partner
  Scenario: We cannot ask another partner's user for a payment method
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    When we ask Alice to add a payment method
    Then the call succeeds
    When we ask Dana to add a payment method
    Then the call fails with "user_unavailable"

  Scenario: An id no account has is not "unavailable" but unknown
    When we read the user with id "999999999"
    Then the call fails with "user_not_exist"
