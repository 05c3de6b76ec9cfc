Feature: Reading and listing users
  A partner reads one of its users by id or by email, and lists its users page by page.

  Scenario: Reading a user by id
    Given the user Alice was created
    When we read Alice by id
    Then the call succeeds
    And the answer is Alice's account

  Scenario: Reading a user by email
    Given the user Alice was created
    When we read Alice by email
    Then the call succeeds
    And the answer is Alice's account

  Scenario: Reading a user through "user/info"
    Given the user Alice was created
    When we read Alice by id through "user/info"
    Then the call succeeds
    And the answer is Alice's account

  Scenario: Reading an id no account has
    When we read the user with id "999999999"
    Then the call fails with "user_not_exist"

  Scenario: Reading an address no account has
    When we read an address that has no AR24 account
    Then the call fails with "user_not_exist"

  Scenario: Reading without saying who
    When we read a user without giving an id
    Then the call fails with "missing_user_id"

  Scenario: Reading with an id that is not a number
    When we read the user with id "abc"
    Then the call fails with "missing_user_id"

  Scenario: The newest users come first when sorted DESC
    Given the users Alice, Bob and Carol were created
    When we list our users sorted "DESC" with at most 1000
    Then the call succeeds
    And the list shows Carol, Bob and Alice in that order
    And the list is sorted by decreasing id

  Scenario: The oldest users come first when sorted ASC
    Given the users Alice, Bob and Carol were created
    When we list our users sorted "ASC" with at most 50
    Then the call succeeds
    And the list is sorted by increasing id

  Scenario: max bounds the page
    Given the users Alice, Bob and Carol were created
    When we list our users sorted "DESC" with at most 2
    Then the list has 2 users

  Scenario Outline: Paging parameters AR24 cannot read are refused
    Given the user Alice was created
    When we list our users with "<parameter>" set to "<value>"
    Then the call fails with "<slug>"

    Examples:
      | parameter | value | slug          |
      | max       | 0     | invalid_max   |
      | max       | 1001  | invalid_max   |
      | max       | ten   | invalid_max   |
      | start     | -1    | invalid_start |
      | start     | first | invalid_start |
      | sort      | UP    | invalid_sort  |

  Scenario: start moves through the pages
    Given the users Alice, Bob, Carol and Dave were created
    When we list our users from 0 with at most 4
    Then the page from 2 with at most 2 holds the last two users of that list
