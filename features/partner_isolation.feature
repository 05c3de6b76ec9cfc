Feature: Partner isolation
  A partner sees only the users it created and those who accepted its access
  request. Another partner's user is unavailable; an id no account has does not exist.

  @needs_second_partner
  Scenario: Another partner's user cannot be read by id
    Given Dana has an AR24 account that is not attached to us
    When we read Dana by id
    Then the call fails with "user_unavailable"

  @needs_second_partner
  Scenario: Another partner's user cannot be read by email
    Given Dana has an AR24 account that is not attached to us
    When we read Dana by email
    Then the call fails with "user_unavailable"

  @needs_second_partner
  Scenario: Another partner's user is not in our list
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    Then our user list shows Alice
    And our user list does not show Dana

  @needs_second_partner
  Scenario: We cannot send the CGU to another partner's user
    Given Dana has an AR24 account that is not attached to us
    When we ask AR24 to send Dana the CGU
    Then the call fails with "user_unavailable"
    And Dana stays unavailable to us

  @needs_second_partner
  Scenario: We cannot ask another partner's user for a payment method
    Given Dana has an AR24 account that is not attached to us
    When we ask Dana to add a payment method
    Then the call fails with "user_unavailable"

  Scenario: An id no account has is not "unavailable" but unknown
    When we read the user with id "999999999"
    Then the call fails with "user_not_exist"
